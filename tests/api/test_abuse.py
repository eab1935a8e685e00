"""Abuse: login attempts limited per client address and per user name (429, Retry-After, in
Chinese), tokens that expire, no cookies (so no CSRF), request bodies and uploads limited in
size and type — on a real uvicorn server, as `yuqing run` configures it behind a proxy."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from alerts.db import Database, now_shanghai
from alerts.users.models import AuthToken
from api.app import create_app
from api.ratelimit import LoginLimiter, SlidingWindow
from store.base import MentionQuery
from tests.api.helpers import PASSWORD, add_user
from tests.api.live import live_server
from tests.conftest import FIXTURES, make_settings
from yuqing.records import Role
from yuqing.settings import ApiSettings, ClippingSettings
from yuqing.settings_ops import AuthSettings

AUTH = AuthSettings(login_failures_per_address=6, login_failures_per_user=3, login_window_minutes=10,
                    max_failed_logins=50)


@pytest.fixture
def server(tmp_path, store, sqlite_db: Database) -> Iterator[tuple[str, Database]]:
    settings = make_settings(tmp_path / "data", auth=AUTH, api=ApiSettings(max_body_kb=16),
                             clippings=ClippingSettings(max_upload_mb=0.05))
    add_user(sqlite_db, settings, "kefu", Role.pr)
    add_user(sqlite_db, settings, "admin1", Role.admin)
    with live_server(create_app(settings, store=store, db=sqlite_db)) as url:
        yield url, sqlite_db


def attempt(url: str, username: str, password: str, address: str) -> httpx.Response:
    """A login as a client at `address` behind the trusted proxy (X-Forwarded-For)."""
    return httpx.post(f"{url}/api/auth/login", json={"username": username, "password": password},
                      headers={"X-Forwarded-For": address}, timeout=10)


def test_failed_logins_are_limited_per_address(server) -> None:
    url, _ = server
    for n in range(6):  # six wrong guesses for six different names from one address
        assert attempt(url, f"nobody{n}", "guess", "198.51.100.7").status_code == 401
    refused = attempt(url, "kefu", PASSWORD, "198.51.100.7")  # even the right password waits now
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 600 and f"请在 {wait} 秒后再试" in refused.json()["detail"]
    assert attempt(url, "kefu", PASSWORD, "198.51.100.8").status_code == 200  # another address is not held


def test_failed_logins_are_limited_per_user_across_addresses(server) -> None:
    url, _ = server
    for n in range(3):  # a guesser spreading one account's guesses over addresses
        assert attempt(url, "kefu", "guess", f"203.0.113.{n}").status_code == 401
    assert attempt(url, "kefu", PASSWORD, "203.0.113.99").status_code == 429
    assert attempt(url, "admin1", PASSWORD, "203.0.113.99").status_code == 200  # other names are not held


def test_a_right_password_clears_the_name_but_not_the_address(server) -> None:
    url, _ = server
    for _ in range(2):
        assert attempt(url, "kefu", "guess", "192.0.2.1").status_code == 401
    assert attempt(url, "kefu", PASSWORD, "192.0.2.1").status_code == 200
    for _ in range(2):  # the name's count started again
        assert attempt(url, "kefu", "guess", "192.0.2.1").status_code == 401
    assert attempt(url, "kefu", PASSWORD, "192.0.2.1").status_code == 200
    for name in ("x", "y"):  # the address's fifth and sixth failures
        assert attempt(url, name, "guess", "192.0.2.1").status_code == 401
    assert attempt(url, "admin1", PASSWORD, "192.0.2.1").status_code == 429


def test_the_limiter_forgets_after_the_window_and_stays_bounded() -> None:
    clock = [1000.0]
    limiter = LoginLimiter(AUTH, clock=lambda: clock[0])
    for _ in range(3):
        limiter.failed(address="a", username="Kefu ")
    with pytest.raises(Exception, match="请在 600 秒后再试"):
        limiter.check(address="b", username="kefu")  # names compare without case and spaces
    clock[0] += 599.5
    with pytest.raises(Exception, match="请在 1 秒后再试"):
        limiter.check(address="b", username="kefu")
    clock[0] += 1
    limiter.check(address="b", username="kefu")
    window = SlidingWindow(limit=2, window=60, max_keys=100)
    for n in range(1000):
        window.hit(f"10.0.{n // 250}.{n % 250}", now=0)
    assert len(window) == 100  # the least recently seen addresses were forgotten


def test_an_expired_token_is_refused(server) -> None:
    url, db = server
    token = attempt(url, "kefu", PASSWORD, "192.0.2.50").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/api/auth/me", headers=headers).status_code == 200
    with db.write() as session:  # the clock moves past the expiry (auth.token_hours)
        session.execute(update(AuthToken).values(expires_at=now_shanghai() - timedelta(seconds=1)))
    expired = httpx.get(f"{url}/api/auth/me", headers=headers)
    assert expired.status_code == 401 and "已过期" in expired.json()["detail"]
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_no_cookie_is_ever_set_and_ambient_credentials_do_nothing(server) -> None:
    """CSRF needs a credential the browser adds by itself (a cookie). The API sets none: the
    pages send the token from localStorage as an Authorization header, which another site
    can neither read nor make the browser add."""
    url, _ = server
    with httpx.Client(base_url=url) as browser:
        login = browser.post("/api/auth/login", json={"username": "kefu", "password": PASSWORD},
                             headers={"X-Forwarded-For": "192.0.2.60"})
        token = login.json()["access_token"]
        for path in ("/api/auth/me", "/api/alerts", "/api/tickets", "/", "/login"):
            response = browser.get(path, headers={"Authorization": f"Bearer {token}"})
            assert "set-cookie" not in response.headers, path
        assert "set-cookie" not in login.headers and not browser.cookies
        # A form another site posts on the user's behalf carries no token: refused.
        forged = browser.post("/api/alerts/1/dismiss", data={"reason": "x"},
                              headers={"Origin": "https://evil.example", "Content-Type":
                                       "application/x-www-form-urlencoded"})
        assert forged.status_code == 401
        preflight = browser.options("/api/alerts/1/dismiss", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert "access-control-allow-origin" not in preflight.headers  # no CORS: no cross-site reads


def raw_request(url: str, head: bytes) -> bytes:
    """Send only a request head (no body) and read what the server answers."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_a_body_declared_too_large_is_refused_before_it_is_sent(server) -> None:
    url, _ = server
    answer = raw_request(url, b"POST /api/clippings HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                              b"boundary=b\r\nContent-Length: 104857600\r\n\r\n")  # 100 MB announced, none sent
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 413") and "请求内容过大".encode() in body


def test_streamed_and_json_bodies_over_the_limit_get_413(server) -> None:
    url, _ = server
    token = attempt(url, "kefu", PASSWORD, "192.0.2.70").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield b'{"text": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    streamed = httpx.post(f"{url}/api/alerts/1/comment", content=chunks(),
                          headers={**headers, "Content-Type": "application/json"})
    assert streamed.status_code == 413 and "上限 16 KB" in streamed.json()["detail"]
    big = httpx.post(f"{url}/api/alerts/1/comment", json={"text": "长" * 20000}, headers=headers)
    assert big.status_code == 413
    small = httpx.post(f"{url}/api/alerts/999999/comment", json={"text": "正常长度"}, headers=headers)
    assert small.status_code == 404  # within the limit the route itself answers


def test_uploads_are_limited_in_size_type_and_unpacked_size(server, store) -> None:
    url, _ = server
    token = attempt(url, "kefu", PASSWORD, "192.0.2.80").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def upload(name: str, data: bytes, content_type: str) -> httpx.Response:
        return httpx.post(f"{url}/api/clippings", files={"file": (name, data, content_type)}, headers=headers,
                          timeout=30)

    assert upload("big.csv", b"a,b\n" * 30000, "text/csv").status_code == 413  # 120 KB > 50 KB
    assert upload("page.html", b"<html></html>", "text/html").status_code == 415
    assert upload("sheet.xlsx", b"not a zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                  ).status_code == 422
    bomb = (FIXTURES / "clippings" / "bomb.xlsx").read_bytes()  # 118 KB: over the size limit as such
    assert upload("bomb.xlsx", bomb, "application/octet-stream").status_code == 413
    assert store.count(MentionQuery()) == 0  # nothing of any of it was stored
