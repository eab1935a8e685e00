"""The FastAPI application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from api.pages import mount_pages
from api.routes import clippings, events, evidence, mentions, reports, sites, sources, stats
from api.security import require_role
from crawlers.sitecheck.store import SiteStore
from store.base import MentionQuery, MentionStore
from yuqing import __version__
from yuqing.records import ALL_ROLES, Role
from yuqing.settings import Settings
from yuqing.wiring import open_mention_store


def _reason(exc: RequestValidationError) -> str:
    """The first validation problem as one readable line, e.g. 'query.size: ...'."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}"


def create_app(settings: Settings, store: MentionStore | None = None,
               site_store: SiteStore | None = None) -> FastAPI:
    """The API over the configured stores (stores may be passed in, as tests do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.store = store or open_mention_store(settings)
        app.state.sites = site_store or SiteStore(settings.storage.sites_db)
        yield
        if owned:
            app.state.store.close()
        if getattr(app.state, "evidence", None) is not None:
            app.state.evidence.close()
        if site_store is None:
            app.state.sites.close()

    app = FastAPI(title="yuqing 舆情监测", version=__version__, lifespan=lifespan,
                  description="泰山港华燃气舆情监测服务 API")
    app.state.settings = settings

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                            content={"detail": _reason(exc),
                                     "errors": jsonable_encoder(exc.errors())})

    readers = [require_role(*ALL_ROLES)]
    app.include_router(mentions.router, dependencies=readers)
    app.include_router(stats.router, dependencies=readers)
    app.include_router(events.router, dependencies=readers)
    app.include_router(evidence.router, dependencies=readers)
    app.include_router(sources.router, dependencies=readers)
    app.include_router(clippings.router, dependencies=[require_role(Role.admin, Role.pr)])
    app.include_router(sites.router, dependencies=readers)
    app.include_router(reports.router, dependencies=[require_role(Role.admin, Role.pr, Role.supervisor, Role.viewer)])

    mount_pages(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    @app.get("/healthz", tags=["health"], summary="Liveness: the service and its index answer")
    def healthz() -> dict[str, str]:
        app.state.store.count(MentionQuery(limit=0))
        return {"status": "ok", "version": __version__}

    return app

