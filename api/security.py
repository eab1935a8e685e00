"""Access control for every /api route, in this one place.

Users and roles replace this with the tickets issue; until then a configured bearer token
is required, and without a token only clients on this machine are served.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException, Request, status

from api.deps import SettingsDep


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
