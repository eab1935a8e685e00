"""Logging in and out, who am I, changing one's own password."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from alerts.db import now_shanghai
from alerts.users import service as users
from api.deps import DbDep, SettingsDep, WriteSession
from api.ratelimit import LoginLimiter
from api.responses import FORBIDDEN, INVALID, UNAUTHORIZED, Problem
from api.security import CurrentActor, credentials
from yuqing.records import Role

router = APIRouter(prefix="/api/auth", tags=["auth"])
log = logging.getLogger("yuqing.api.auth")


class Login(BaseModel):
    username: str = Field(max_length=80)
    password: str = Field(max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: Role
    department: str


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    department: str
    via: str


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


LOGIN_ERRORS = {401: {"model": Problem, "description": "wrong user name or password, or the account is locked"},
                429: {"model": Problem, "description": "too many failed logins from this address or for this user "
                                                       "(see the Retry-After header)"}}


def _login(request: Request, db: DbDep, settings: SettingsDep, username: str, password: str) -> TokenOut:
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    limiter.check(address=address, username=username)
    try:
        user, token, expires = users.log_in(db, username=username, password=password, settings=settings,
                                            now=now_shanghai())
    except users.LoginFailed:
        limiter.failed(address=address, username=username)
        log.info("login failed", extra={"client": address})
        raise
    limiter.succeeded(username=username)
    return TokenOut(access_token=token, expires_at=expires, username=user.username, role=Role(user.role),
                    department=user.department)


@router.post("/login", response_model=TokenOut, summary="Log in with user name and password; returns a token",
             responses=LOGIN_ERRORS)
def login(request: Request, body: Login, db: DbDep, settings: SettingsDep) -> TokenOut:
    return _login(request, db, settings, body.username, body.password)


@router.post("/token", response_model=TokenOut, include_in_schema=False)
def token_form(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbDep,
               settings: SettingsDep) -> TokenOut:
    """The same login as an OAuth2 password form, for the Authorize button of /docs."""
    return _login(request, db, settings, form.username, form.password)


@router.post("/logout", responses=UNAUTHORIZED, status_code=status.HTTP_204_NO_CONTENT, summary="End this login token")
def logout(actor: CurrentActor, session: WriteSession,
           token: Annotated[str | None, Depends(credentials)]) -> Response:
    if token and actor.via == "user":
        users.revoke_token(session, token=token)
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", responses=UNAUTHORIZED, response_model=Me, summary="Who is logged in")
def me(actor: CurrentActor) -> Me:
    return Me(username=actor.name, display_name=actor.label, role=actor.role, department=actor.department,
              via=actor.via)


WRONG_CURRENT = "当前密码不正确"


@router.post("/password", responses=UNAUTHORIZED | FORBIDDEN | INVALID,
             status_code=status.HTTP_204_NO_CONTENT,
             summary="Change one's own password (every login token of the user ends, this one too)")
def change_password(body: PasswordChange, actor: CurrentActor, session: WriteSession,
                    settings: SettingsDep) -> Response:
    now = now_shanghai()
    if actor.via != "user":
        raise users.Forbidden("API 密钥没有密码")
    try:
        users.authenticate(session, username=actor.name, password=body.current_password, settings=settings,
                           now=now)
    except users.LoginFailed as failed:
        # 422, not 401: the caller is logged in (a 401 would send the page to the login form).
        session.commit()  # a wrong current password counts towards the lockout, as at login
        raise users.Invalid(WRONG_CURRENT if failed.message == "用户名或密码错误" else failed.message) from None
    users.set_password(session, username=actor.name, password=body.new_password, settings=settings, now=now)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
