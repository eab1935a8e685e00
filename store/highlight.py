"""Highlight query words in a snippet of the original text (HTML-escaped, <em> marks)."""

from __future__ import annotations

import html
import re

SNIPPET_CHARS = 120


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    terms = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not terms or not text:
        return ""
    pattern = re.compile("|".join(map(re.escape, terms)), re.I)
    first = pattern.search(text)
    if not first:
        return ""
    start = max(0, first.start() - width // 3)
    snippet = text[start : start + width]
    marked = pattern.sub(lambda m: f"\x00{m.group(0)}\x01", snippet)
    marked = html.escape(marked).replace("\x00", "<em>").replace("\x01", "</em>")
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return f"{prefix}{marked}{suffix}"
