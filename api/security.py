"""Access control for every /api route, in this one place.

Every caller is a user with a role (logged in with `POST /api/auth/login`, bearing the token
as `Authorization: Bearer <token>`) or an integration with an API key (`Authorization: Bearer
yqk_...` or `X-API-Key: yqk_...`). Routers declare who may call them with `require_role(...)`;
a route that needs to know who acts takes `actor: CurrentActor` (or the value of
`require_role`). Missing or invalid credentials get 401, a role that may not call the route 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from alerts.actor import ROLE_ZH, Actor
from alerts.db import now_shanghai
from alerts.users.service import actor_for_token
from yuqing.records import Role

# Who may call the routes that two places need to know about: the routers (api/app.py) and the
# 系统管理 page, which shows each of its sections only to the roles its routes admit.
READERS = (Role.admin, Role.pr, Role.supervisor, Role.viewer)  # every role but a department's handler
USER_ADMINS = (Role.admin,)  # users and API keys
DELIVERY_READERS = (Role.admin, Role.supervisor)  # the notification delivery log

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False,
                              description="登录令牌或 API 密钥 (Authorization: Bearer ...)")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="集成用 API 密钥")


def credentials(request: Request, bearer: Annotated[str | None, Depends(oauth2)],
                api_key: Annotated[str | None, Depends(api_key_header)]) -> str | None:
    return bearer or api_key


def current_actor(request: Request, token: Annotated[str | None, Depends(credentials)]) -> Actor:
    """Who is calling: 401 without valid credentials."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    actor = None
    if token:
        with request.app.state.db.session() as session:
            actor = actor_for_token(session, token=token, now=now_shanghai())
    if actor is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录（登录令牌无效或已过期）",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(*roles: Role) -> Any:
    """A dependency admitting only the given roles; its value is the acting `Actor`."""
    if not roles:
        raise ValueError("name at least one role")
    allowed = frozenset(roles)

    def check(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            names = "、".join(ROLE_ZH[role] for role in Role if role in allowed)
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"{ROLE_ZH[actor.role]}无权访问（需要：{names}）")
        return actor

    return Depends(check)
