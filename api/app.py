"""The FastAPI application factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from alerts.db import Database, commit_uncertain, committed, open_database
from alerts.errors import ServiceError
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from api import metrics, validation
from api.cache import ResponseCache
from api.metrics import StoredFigures
from api.middleware import UPLOAD_OVERHEAD, RequestContext
from api.pages import mount_pages, not_found_page, wants_page
from api.ratelimit import LoginLimiter, TooManyRequests
from api.responses import SIGNED_IN
from api.routes import (
    alerts,
    auth,
    calendar,
    clippings,
    events,
    evidence,
    mentions,
    notifications,
    reports,
    sites,
    sources,
    stats,
    supervision,
    tickets,
    users,
)
from api.security import DELIVERY_READERS, READERS, USER_ADMINS, require_role
from crawlers.sitecheck.store import SiteStore
from store.base import MentionQuery, MentionStore, QueryTooDeep, StoreError, StoreFull
from yuqing import __version__
from yuqing.records import ALL_ROLES, Role
from yuqing.settings import Settings
from yuqing.wiring import open_mention_store, rules_path

log = logging.getLogger("yuqing.api")
# Starlette's own English details (no route, wrong method) as staff read them.
FRAMEWORK_ZH = {"Not Found": "接口不存在", "Method Not Allowed": "不支持该请求方法"}


def create_app(settings: Settings, store: MentionStore | None = None, db: Database | None = None,
               notifier: Notifier | None = None, rules: RuleBook | None = None,
               site_store: SiteStore | None = None) -> FastAPI:
    """The API over the configured stores (stores may be passed in, as tests do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned_store, owned_db = store is None, db is None
        app.state.store = store or open_mention_store(settings)
        app.state.sites = site_store or SiteStore(settings.storage.sites_db)
        app.state.db = db or open_database(settings)
        app.state.rules = rules or RuleBook(rules_path(settings), db=app.state.db)
        app.state.notifier = notifier
        if notifier is None and owned_db:
            app.state.notifier = Notifier(app.state.db, settings)
            app.state.db.on_notices = app.state.notifier.publish
        yield
        if app.state.notifier is not None and notifier is None:
            app.state.notifier.close()
        if owned_store:
            app.state.store.close()
        if getattr(app.state, "evidence", None) is not None:
            app.state.evidence.close()
            app.state.evidence = None  # opened again on first use if the app is started again
        if site_store is None:
            app.state.sites.close()
        if owned_db:
            app.state.db.close()

    app = FastAPI(title="yuqing 舆情监测", version=__version__, lifespan=lifespan,
                  description="泰山港华燃气舆情监测服务 API。先用 POST /api/auth/login 登录，"
                              "再以 Authorization: Bearer <令牌> 调用其余接口。")
    app.state.settings = settings
    app.state.cache = ResponseCache(settings.api.cache_seconds)
    app.state.login_limiter = LoginLimiter(settings.auth)
    app.state.figures = StoredFigures(settings, lambda: app.state.db)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                            content={"detail": validation.one_line(exc), "errors": validation.summary(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == status.HTTP_400_BAD_REQUEST:  # a body that is not JSON (or not UTF-8)
            return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                                content={"detail": "请求内容无法解析：应为 UTF-8 编码的 JSON"})
        if exc.status_code == status.HTTP_404_NOT_FOUND and wants_page(request):
            return not_found_page(request)
        return JSONResponse(status_code=exc.status_code, content={"detail": FRAMEWORK_ZH.get(exc.detail, exc.detail)},
                            headers=exc.headers)

    @app.exception_handler(QueryTooDeep)
    async def too_deep(request: Request, exc: QueryTooDeep) -> JSONResponse:
        return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                            content={"detail": "页码过深：请缩小筛选范围（时间、平台、关键词）后再翻页"})

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        log.error("mention index: %s", exc)  # the cause for operators; staff get a plain sentence
        return JSONResponse(status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            content={"detail": "舆情索引暂时无法访问，请稍后再试"})

    @app.exception_handler(StoreFull)
    async def store_full(request: Request, exc: StoreFull) -> JSONResponse:
        log.error("mention index: %s", exc)
        return JSONResponse(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "300"},
                            content={"detail": "数据目录磁盘空间不足，已暂停写入，请联系管理员"})

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(status_code=exc.status, content={"detail": exc.message}, headers=headers)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeout)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        # Unreachable, restarting or crashed (PostgreSQL), or busy past the timeout (SQLite). A
        # transaction is all or nothing, so nothing is half-written; the detail says whether the
        # change was not made (the usual case), was saved (the failure came while the answer
        # was being read), or cannot be known (the connection was lost during COMMIT).
        cause = getattr(exc, "orig", None) or exc
        log.error("database: %s: %s", type(cause).__name__, (str(cause).strip().splitlines() or [""])[0][:200])
        if committed(getattr(request.state, "write_session", None)):  # saved; building the answer failed
            detail = "本次操作已保存，但读取结果时数据库暂时无法访问，请刷新后查看"
        elif commit_uncertain(exc):  # lost while COMMIT was on its way: the change may have been made
            detail = "数据库连接在保存时中断，无法确认本次操作是否已生效，请刷新后查看"
        else:
            detail = "数据库暂时无法访问，请稍后再试（本次操作未生效）"
        return JSONResponse(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"},
                            content={"detail": detail})

    anyone = [require_role(*ALL_ROLES)]
    signed_in: dict = {"responses": SIGNED_IN}
    app.include_router(auth.router, responses={413: SIGNED_IN[413], 503: SIGNED_IN[503]})
    app.include_router(users.router, dependencies=[require_role(*USER_ADMINS)], **signed_in)
    app.include_router(mentions.router, dependencies=anyone, **signed_in)
    app.include_router(stats.router, dependencies=anyone, **signed_in)
    app.include_router(events.router, dependencies=anyone, **signed_in)
    app.include_router(evidence.router, dependencies=anyone, **signed_in)
    app.include_router(sources.router, dependencies=anyone, **signed_in)
    app.include_router(clippings.router, dependencies=[require_role(*clippings.CLIPPING_IMPORTERS)], **signed_in)
    app.include_router(sites.router, dependencies=anyone, **signed_in)
    app.include_router(alerts.router, dependencies=anyone, **signed_in)
    app.include_router(tickets.router, dependencies=anyone, **signed_in)
    app.include_router(calendar.router, dependencies=anyone, **signed_in)
    app.include_router(supervision.router, dependencies=[require_role(Role.admin, Role.supervisor, Role.viewer)],
                       **signed_in)
    app.include_router(notifications.router, dependencies=[require_role(*DELIVERY_READERS)], **signed_in)
    app.include_router(reports.router, dependencies=[require_role(*READERS)],
                       **signed_in)
    app.include_router(metrics.router)

    mount_pages(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(RequestContext, max_body=settings.api.max_body_kb * 1024, access_log=settings.logging.access_log,
                       upload_paths={"/api/clippings": int(settings.clippings.max_upload_mb * 1024 * 1024)
                                     + UPLOAD_OVERHEAD})

    @app.get("/healthz", tags=["health"], summary="Liveness: the service, its index and its database answer",
             responses={503: SIGNED_IN[503]})
    def healthz() -> dict[str, str]:
        app.state.store.count(MentionQuery(limit=0))
        with app.state.db.read() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
