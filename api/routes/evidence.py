"""Evidence: the raw responses a mention came from, as fetched (posts get deleted)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from api.deps import StoreDep
from store.evidence import EvidenceStore
from yuqing.wiring import open_evidence_store

router = APIRouter(prefix="/api/mentions", tags=["evidence"])


def _evidence(request: Request) -> EvidenceStore:
    store = getattr(request.app.state, "evidence", None)
    if store is None:
        store = request.app.state.evidence = open_evidence_store(request.app.state.settings)
    return store


def _decode(body: bytes, content_type: str) -> str:
    charset = content_type.split("charset=")[-1].split(";")[0].strip() if "charset=" in content_type else ""
    for encoding in (charset, "utf-8", "gb18030"):
        try:
            return body.decode(encoding) if encoding else body.decode("utf-8")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


@router.get("/{mention_id}/evidence", summary="The raw responses kept for a mention, with URL and fetch time",
            responses={404: {"description": "unknown mention, or nothing kept for it"}})
def get_evidence(mention_id: str, request: Request, store: StoreDep) -> dict[str, Any]:
    if store.get(mention_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"信息 {mention_id} 不存在")
    evidence = _evidence(request)
    records = evidence.records(mention_id)
    if not records:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"信息 {mention_id} 没有保存原始页面")
    items = []
    for record in records:
        try:
            body = evidence.body(record.sha256)
        except (FileNotFoundError, ValueError) as exc:
            items.append({**_meta(record), "body": None, "error": f"原始页面无法读取：{exc.__class__.__name__}"})
            continue
        items.append({**_meta(record), "body": _decode(body, record.content_type)})
    return {"mention_id": mention_id, "items": items}


@router.get("/{mention_id}/evidence/{sha256}", summary="One kept response as raw bytes (a download)",
            responses={404: {"description": "not kept for this mention"}})
def get_evidence_raw(mention_id: str, sha256: str, request: Request) -> Response:
    evidence = _evidence(request)
    record = next((r for r in evidence.records(mention_id) if r.sha256 == sha256), None)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这份原始页面")
    try:
        body = evidence.body(sha256)
    except (FileNotFoundError, ValueError):
        raise HTTPException(status.HTTP_410_GONE, "原始页面文件已损坏或丢失") from None
    # Served as a download, never rendered in our origin: saved pages carry their own scripts.
    return Response(body, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="evidence-{sha256[:12]}"',
        "Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})


def _meta(record: Any) -> dict[str, Any]:
    return {"sha256": record.sha256, "url": record.url, "fetched_at": record.fetched_at.isoformat(),
            "status": record.status, "content_type": record.content_type, "size": record.size}
