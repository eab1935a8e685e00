"""Builders for API tests: a user of each role, logged in through the real login route."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from alerts.db import Database, now_shanghai
from alerts.users.service import create_user
from yuqing.records import Role
from yuqing.settings import Settings

PASSWORD = "correct-horse-battery"


def add_user(db: Database, settings: Settings, username: str, role: Role | str, department: str = "") -> None:
    with db.write() as session:
        create_user(session, username=username, password=PASSWORD, role=Role(role), department=department,
                    settings=settings, now=now_shanghai())


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for the user (asserts the login worked)."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sign_in(client: TestClient, db: Database, settings: Settings, role: Role | str = Role.viewer,
            department: str = "") -> dict[str, str]:
    """Create a user of `role` and make every later request of `client` theirs."""
    username = f"{Role(role).value}-{department or 'all'}"
    add_user(db, settings, username, role, department)
    headers = login(client, username)
    client.headers.update(headers)
    return headers


def all_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, walking included routers (which this
    FastAPI keeps as nested objects rather than flattening into `app.routes`)."""
    found: set[tuple[str, str]] = set()

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.update((m, prefix + route.path) for m in route.methods - {"HEAD", "OPTIONS"})
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif getattr(route, "methods", None):
                found.update((m, prefix + route.path) for m in route.methods - {"HEAD", "OPTIONS"})

    walk(app.routes, "")
    return found
