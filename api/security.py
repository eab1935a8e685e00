"""Access control for every /api route, in this one place.

Routers declare who may call them with `require_role(...)`. Until users and roles arrive
(the tickets issue), every role is satisfied by the configured bearer token; without a
token only clients on this machine are served.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import Depends, HTTPException, Request, status

from api.deps import SettingsDep
from yuqing.records import Role


def _is_loopback(host: str | None) -> bool:
    if host in ("testclient", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def require_access(request: Request, settings: SettingsDep) -> None:
    token = settings.api.token
    if token is None:
        if not _is_loopback(request.client.host if request.client else None):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "未配置访问令牌时仅允许本机访问 (set api.token to serve other hosts)")
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(),
                                                             token.get_secret_value().encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "需要有效的访问令牌",
                            headers={"WWW-Authenticate": "Bearer"})


def require_role(*roles: Role) -> Any:
    """A router dependency admitting the given roles (today: anyone with access)."""
    if not roles:
        raise ValueError("name at least one role")
    return Depends(require_access)
