"""Users and API keys (administrators only). Password hashes and keys never leave the server;
a new API key is shown once, in the answer that creates it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from alerts.db import now_shanghai
from alerts.users import service as users
from api.deps import ReadSession, SettingsDep, WriteSession
from api.responses import CONFLICT, NOT_FOUND
from api.security import CurrentActor
from yuqing.records import Role

router = APIRouter(prefix="/api", tags=["users"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    role: Role
    department: str
    email: str
    active: bool
    created_at: datetime
    password_changed_at: datetime


class UserIn(BaseModel):
    username: str = Field(max_length=80)
    password: str = Field(max_length=200)
    role: Role
    department: str = ""
    display_name: str = Field(default="", max_length=80)
    email: str = Field(default="", max_length=200)


class UserPatch(BaseModel):
    role: Role | None = None
    department: str | None = None
    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=80)
    email: str | None = Field(default=None, max_length=200)


class PasswordIn(BaseModel):
    password: str = Field(max_length=200)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    prefix: str
    role: Role
    department: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None  # to the nearest few minutes; None if never used


class ApiKeyIn(BaseModel):
    name: str = Field(max_length=80)
    role: Role
    department: str = ""


class ApiKeyCreated(ApiKeyOut):
    key: str  # shown once


class AccountRules(BaseModel):
    min_password_length: int
    name_rule: str  # user names and API key names


@router.get("/users/rules", response_model=AccountRules, summary="What a user name and a password must be")
def account_rules(settings: SettingsDep) -> AccountRules:
    return AccountRules(min_password_length=settings.auth.min_password_length, name_rule=users.NAME_RULE)


@router.get("/users", response_model=list[UserOut], summary="All users")
def list_users(session: ReadSession) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in users.list_users(session)]


@router.post("/users", responses=CONFLICT,
             response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(body: UserIn, session: WriteSession, settings: SettingsDep) -> UserOut:
    user = users.create_user(session, username=body.username, password=body.password, role=body.role,
                             department=body.department, display_name=body.display_name, email=body.email,
                             settings=settings, now=now_shanghai())
    session.commit()
    return UserOut.model_validate(user)


@router.patch("/users/{username}", responses=NOT_FOUND,
              response_model=UserOut, summary="Change a user's role, department or status")
def update_user(username: str, body: UserPatch, session: WriteSession, settings: SettingsDep,
                actor: CurrentActor) -> UserOut:
    if username == actor.name and (body.active is False or (body.role and body.role != Role.admin)):
        raise users.Invalid("不能停用自己的账号或取消自己的管理员角色")
    user = users.update_user(session, username=username, settings=settings, **body.model_dump(exclude_unset=True))
    session.commit()
    return UserOut.model_validate(user)


@router.post("/users/{username}/password", responses=NOT_FOUND, status_code=status.HTTP_204_NO_CONTENT,
             summary="Set a user's password (ends the user's sessions)")
def set_password(username: str, body: PasswordIn, session: WriteSession, settings: SettingsDep) -> Response:
    users.set_password(session, username=username, password=body.password, settings=settings, now=now_shanghai())
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="API keys for integrations (without the keys)")
def list_keys(session: ReadSession) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(key) for key in users.list_api_keys(session)]


@router.post("/api-keys", responses=CONFLICT, response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED,
             summary="Create an API key; the key is in this answer only")
def create_key(body: ApiKeyIn, session: WriteSession, settings: SettingsDep, actor: CurrentActor) -> ApiKeyCreated:
    row, key = users.create_api_key(session, name=body.name, role=body.role, department=body.department,
                                    settings=settings, created_by=actor.name, now=now_shanghai())
    session.commit()
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete("/api-keys/{name}", responses=NOT_FOUND, response_model=ApiKeyOut, summary="Revoke an API key")
def revoke_key(name: str, session: WriteSession) -> ApiKeyOut:
    row = users.revoke_api_key(session, name=name, now=now_shanghai())
    session.commit()
    return ApiKeyOut.model_validate(row)
