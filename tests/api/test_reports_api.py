"""GET /api/reports: kept briefings as JSON, HTML and DOCX, for the roles that read them."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.helpers import sign_in
from tests.yuqing.reports.conftest import DAY, loaded, report_settings, sites  # noqa: F401 (fixtures)
from yuqing.records import SHANGHAI, Role
from yuqing.reports.model import ReportKind
from yuqing.reports.service import generate_report

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


def test_list_and_download(tmp_path, loaded, sites, sqlite_db) -> None:  # noqa: F811
    settings = report_settings(tmp_path)
    for kind in ReportKind:
        generate_report(settings, kind=kind, day=DAY, now=NOW, store=loaded, sites=sites, extensions=[])
    with TestClient(create_app(settings, store=loaded, site_store=sites, db=sqlite_db)) as client:
        sign_in(client, sqlite_db, settings, Role.pr)
        listed = client.get("/api/reports").json()
        assert [r["id"] for r in listed] == ["weekly-2026-11-20", "daily-2026-11-20"]
        assert listed[0]["total"] == 10 and listed[0]["incidents"] == 1 and listed[0]["last_delivery"] is None
        assert [r["id"] for r in client.get("/api/reports", params={"kind": "daily"}).json()] == ["daily-2026-11-20"]
        body = client.get("/api/reports/weekly-2026-11-20").json()
        assert body["briefing"]["figures"]["total"] == 10 and body["formats"] == ["docx", "html"]
        html = client.get("/api/reports/weekly-2026-11-20", params={"format": "html"})
        assert html.headers["content-type"].startswith("text/html") and "舆情周报" in html.text
        docx = client.get("/api/reports/weekly-2026-11-20", params={"format": "docx"})
        assert docx.content[:2] == b"PK" and "attachment" in docx.headers["content-disposition"]
        assert "舆情周报" in unquote(docx.headers["content-disposition"])
        missing = client.get("/api/reports/daily-1999-01-01")
        assert missing.status_code == 404 and missing.json()["detail"] == "未找到简报：daily-1999-01-01"
        assert client.get("/api/reports/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert client.get("/api/reports/weekly-2026-11-20", params={"format": "pdf"}).status_code == 422
        assert client.get("/api/reports", params={"kind": "monthly"}).status_code == 422


def test_reports_need_a_login_and_a_reading_role(tmp_path, loaded, sites, sqlite_db) -> None:  # noqa: F811
    settings = report_settings(tmp_path)
    generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites, extensions=[])
    with TestClient(create_app(settings, store=loaded, site_store=sites, db=sqlite_db)) as client:
        assert client.get("/api/reports").status_code == 401
        assert client.get("/api/reports/daily-2026-11-20", params={"format": "docx"}).status_code == 401
        handler = sign_in(client, sqlite_db, settings, Role.handler, department="customer")
        assert client.get("/api/reports", headers=handler).status_code == 403
        viewer = sign_in(client, sqlite_db, settings, Role.viewer)
        ok = client.get("/api/reports", headers=viewer)
        assert ok.status_code == 200 and len(ok.json()) == 1


def test_staff_make_a_report_of_a_chosen_day_on_the_page(tmp_path, loaded, sites, sqlite_db) -> None:  # noqa: F811
    """The /reports page asks for the report of a day (make=true): made now from the index when
    it is not kept (or was made before its day ended), then downloaded like the kept ones."""
    from datetime import timedelta

    settings = report_settings(tmp_path)
    with TestClient(create_app(settings, store=loaded, site_store=sites, db=sqlite_db)) as client:
        viewer = sign_in(client, sqlite_db, settings, Role.viewer)
        assert client.get(f"/api/reports/weekly-{DAY}", headers=viewer).status_code == 404  # not kept yet
        made = client.get(f"/api/reports/weekly-{DAY}", params={"make": "true"}, headers=viewer)
        assert made.status_code == 200, made.text
        body = made.json()["briefing"]
        assert body["period"]["last"] == str(DAY) and body["figures"]["total"] == 10
        html = client.get(f"/api/reports/weekly-{DAY}", params={"format": "html"}, headers=viewer)
        assert html.status_code == 200 and "舆情周报" in html.text
        listed = client.get("/api/reports", headers=viewer).json()
        assert [r["id"] for r in listed] == [f"weekly-{DAY}"]
        # A kept report made after its period is served as kept, not made again.
        again = client.get(f"/api/reports/weekly-{DAY}", params={"make": "true"}, headers=viewer).json()
        assert again["briefing"]["generated_at"] == made.json()["briefing"]["generated_at"]
        today = datetime.now(SHANGHAI).date()
        for bad, detail in (("daily-2026-02-30", "日期无效：2026-02-30"),
                            (f"daily-{today + timedelta(days=1)}", "尚未到来"),
                            ("monthly-2026-11-20", "简报应为"), ("daily-20261120", "简报应为")):
            answer = client.get(f"/api/reports/{bad}", params={"make": "true"}, headers=viewer)
            assert answer.status_code == 422 and detail in answer.json()["detail"], (bad, answer.text)
            assert "\n" not in answer.json()["detail"]
        assert client.get("/api/reports/daily-2026-02-30", headers=viewer).status_code == 422
        assert [r["id"] for r in client.get("/api/reports", headers=viewer).json()] == [f"weekly-{DAY}"]
        handler = sign_in(client, sqlite_db, settings, Role.handler, department="customer")
        refused = client.get(f"/api/reports/daily-{DAY}", params={"make": "true"}, headers=handler)
        assert refused.status_code == 403
        assert [r["id"] for r in client.get("/api/reports", headers=viewer).json()] == [f"weekly-{DAY}"]
