"""The built-in web pages: HTML shells (Jinja2) that draw with vanilla JS and ECharts from
the JSON API. A page holds no data itself; every figure comes from an /api route that checks
the caller's credentials and role, so the shells are served without a login.

Credentials are handled in one place, `api/static/js/auth.js`: the login page posts a user
name and password to `POST /api/auth/login` and every call sends the returned token. Each
page names the roles it is for (`NAV`): the navigation shows a user only those, and a page
opened by another role says so instead of loading (the API refuses it again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from alerts.actor import ROLE_ZH
from alerts.calendar.models import PLANNED_KIND_ZH
from alerts.calendar.service import LEAD_HOURS, TAIL_HOURS
from alerts.levels import LEVEL_ZH
from alerts.models import ALERT_STATUS_ZH
from alerts.notify.models import DELIVERY_STATUS_ZH, NOTICE_KIND_ZH
from alerts.rules.zh import BURST_GROUP_ZH, CONDITION_ZH, LANE_ZH
from alerts.tickets.models import STATUS_ZH as TICKET_STATUS_ZH
from alerts.tickets.service import FIELD_NAMES as TICKET_FIELD_ZH
from alerts.tickets.transitions import ACTIONS as TICKET_ACTIONS
from alerts.transitions import ALERT_ACTION_ZH
from api.routes.alerts import RULE_EDITORS, RULE_READERS
from api.routes.calendar import CALENDAR_EDITORS, CALENDAR_READERS
from api.routes.clippings import CLIPPING_IMPORTERS
from api.security import DELIVERY_READERS, READERS, USER_ADMINS
from yuqing import __version__
from yuqing.clippings import FIELD_ZH, MEDIA_CHOICES
from yuqing.records import ALL_ROLES, CATEGORY_NAMES_ZH, PLATFORM_NAMES_ZH, SENTIMENT_NAMES_ZH, Role

STATIC = Path(__file__).resolve().parents[1] / "static"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

# Pages hold no inline script: the labels travel as a JSON data block, which CSP allows.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# 系统管理: every section is shown to the roles its /api routes admit (api/app.py); the page itself
# to the roles of its restricted sections (users, API keys, the notification log).
SYSTEM_SECTIONS = {"users": USER_ADMINS, "keys": USER_ADMINS, "sources": ALL_ROLES,
                   "notifications": DELIVERY_READERS}
SYSTEM_PAGE = tuple(dict.fromkeys(USER_ADMINS + DELIVERY_READERS))


@dataclass(frozen=True)
class NavItem:
    path: str
    title: str
    roles: tuple[Role, ...]  # who sees the item and may use the page (the API enforces it again)


NAV = (
    NavItem("/", "舆情总览", tuple(Role)),
    NavItem("/alerts", "预警审核", READERS),
    NavItem("/tickets", "工单督办", tuple(Role)),
    NavItem("/sites", "站点健康", tuple(Role)),
    NavItem("/reports", "舆情简报", READERS),
    NavItem("/rules", "预警规则", RULE_READERS), NavItem("/calendar", "运营日历", CALENDAR_READERS),
    NavItem("/admin", "系统管理", SYSTEM_PAGE),
)


def _labels() -> str:
    """Every code the pages show, with its Chinese name, from the tables the service uses."""
    actions = {name: {"zh": a.zh, "needs": list(a.needs)} for name, a in TICKET_ACTIONS.items() if a.roles}
    labels = {"category": {k.value: v for k, v in CATEGORY_NAMES_ZH.items()},
              "sentiment": {k.value: v for k, v in SENTIMENT_NAMES_ZH.items()},
              "platform": {k.value: v for k, v in PLATFORM_NAMES_ZH.items()},
              "role": {k.value: v for k, v in ROLE_ZH.items()},
              "level": {k.value: v for k, v in LEVEL_ZH.items()},
              "alert_status": {k.value: v for k, v in ALERT_STATUS_ZH.items()},
              "alert_action": ALERT_ACTION_ZH,
              "ticket_status": {k.value: v for k, v in TICKET_STATUS_ZH.items()},
              "ticket_action": actions, "ticket_field": TICKET_FIELD_ZH,
              "planned_kind": {k.value: v for k, v in PLANNED_KIND_ZH.items()},
              "rule_condition": CONDITION_ZH, "rule_lane": LANE_ZH, "burst_group": BURST_GROUP_ZH,
              "delivery_status": {k.value: v for k, v in DELIVERY_STATUS_ZH.items()},
              "notice_kind": NOTICE_KIND_ZH}
    return json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")


TITLES = {"/login": "登录", "/password": "修改密码", "/404": "页面不存在"}  # pages outside the navigation


def _render(request: Request, template: str, active: str, status_code: int = 200, **extra: object) -> HTMLResponse:
    nav = [{"path": i.path, "title": i.title, "roles": " ".join(i.roles)} for i in NAV]
    current = next((i for i in nav if i["path"] == active), None)
    context = {"nav": nav, "active": active, "roles": current["roles"] if current else "",
               "labels": _labels(), "version": __version__,
               "title": current["title"] if current else TITLES.get(active, ""),
               "company": request.app.state.settings.entity.name, **extra}
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    return _render(request, "overview.html", "/")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login.html", "/login")


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request) -> HTMLResponse:
    return _render(request, "password.html", "/password")


def not_found_page(request: Request) -> HTMLResponse:
    """What a browser gets for an address that is no page: a short Chinese page with the navigation."""
    return _render(request, "not_found.html", "/404", status_code=404)


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not /api, HTML accepted), rather than a program asking for JSON."""
    path = request.url.path
    accept = request.headers.get("accept", "")
    return not (path == "/api" or path.startswith(("/api/", "/static/"))) and "text/html" in accept


@router.get("/sites", response_class=HTMLResponse)
def sites_page(request: Request) -> HTMLResponse:
    return _render(request, "sites.html", "/sites")


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    return _render(request, "alerts.html", "/alerts")


@router.get("/tickets", response_class=HTMLResponse)
def tickets_page(request: Request) -> HTMLResponse:
    return _render(request, "tickets.html", "/tickets")


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> HTMLResponse:
    """舆情简报, with the import of the day's newspaper/TV clippings (for CLIPPING_IMPORTERS)."""
    return _render(request, "reports.html", "/reports", importers=" ".join(CLIPPING_IMPORTERS),
                   max_upload_mb=f"{request.app.state.settings.clippings.max_upload_mb:g}",
                   clip_columns="、".join(FIELD_ZH.values()), media_choices=MEDIA_CHOICES)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request) -> HTMLResponse:
    return _render(request, "rules.html", "/rules", editors=" ".join(RULE_EDITORS))


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(request: Request) -> HTMLResponse:
    return _render(request, "calendar.html", "/calendar", editors=" ".join(CALENDAR_EDITORS),
                   lead_hours=LEAD_HOURS, tail_hours=TAIL_HOURS)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> HTMLResponse:
    sections = {name: " ".join(roles) for name, roles in SYSTEM_SECTIONS.items()}
    return _render(request, "admin.html", "/admin", sections=sections)


@router.get("/overview")
def overview_alias() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)


def mount_pages(app: FastAPI) -> None:
    """Serve the pages and their static files (CSS, JS, vendored ECharts) from this app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
