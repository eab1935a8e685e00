"""Text cleaning: scraped HTML and bytes in, plain simplified-Chinese text out.

Two levels on purpose: `clean_text` keeps what a person should read (stored and shown),
`normalize` additionally folds width, case and traditional characters for the models.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

MAX_ANALYSED_CHARS = 20_000  # longer articles are analysed on their head; the text is stored whole

_BR = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?\s*>", re.I)
# Weibo renders its [emoticons] as <img alt="[哈哈]">: keep the alt text, it carries sentiment.
_IMG_ALT = re.compile(r"<img[^>]*?\balt\s*=\s*\"(\[[^\]\"]{1,8}\])\"[^>]*>", re.I)
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,2000}>")
_URL = re.compile(r"https?://[\w\-./?%&=#:~+@!$,;*]+", re.I)
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufffd\x00-\x08\x0b-\x1f\x7f]")

# Emoji with a clear sentiment become Weibo-style markers; every other emoji is dropped.
_EMOJI_MARKERS = {
    "😡": "[怒]", "😠": "[怒]", "🤬": "[怒]", "😤": "[哼]", "😭": "[泪]", "😢": "[泪]",
    "😞": "[失望]", "😔": "[失望]", "😓": "[汗]", "🙄": "[白眼]", "💢": "[怒]",
    "😊": "[微笑]", "😀": "[哈哈]", "😄": "[哈哈]", "😁": "[哈哈]", "😂": "[笑cry]",
    "👍": "[赞]", "❤": "[心]", "❤️": "[心]", "🙏": "[感谢]", "👏": "[鼓掌]", "🌹": "[鲜花]",
}
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d\u2b50\u2b55]"
)


def decode(raw: bytes | str) -> str:
    """Bytes from a scraped page as text; invalid UTF-8 falls back to GB18030, then replacement."""
    if isinstance(raw, str):
        return raw
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def strip_html(text: str) -> str:
    """HTML fragment to plain text with line breaks where blocks ended."""
    if "<" not in text and "&" not in text:
        return text
    text = _SCRIPT.sub(" ", text)
    text = _IMG_ALT.sub(r"\1", text)
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


def replace_emoji(text: str) -> str:
    """Sentiment-bearing emoji to bracket markers, all other emoji removed."""
    for emoji, marker in _EMOJI_MARKERS.items():
        if emoji in text:
            text = text.replace(emoji, marker)
    return _EMOJI.sub("", text)


def clean_text(raw: bytes | str | None) -> str:
    """What a person reads: no markup, no invisible characters, tidy whitespace."""
    if not raw:
        return ""
    text = strip_html(decode(raw))
    text = _INVISIBLE.sub("", text)
    text = replace_emoji(text)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def strip_urls(text: str) -> str:
    return _URL.sub(" ", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # C++ OpenCC; imported lazily because most texts never need it

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters that t2s changes, so simplified text can skip conversion entirely."""
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    converted = _t2s().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # phrase rules merged lines: fall back to per-char checks
        return frozenset(c for c in chars if _t2s().convert(c) != c)
    return frozenset(c for c, s in zip(chars, converted, strict=True) if c != s)


def to_simplified(text: str) -> str:
    if _traditional_chars().isdisjoint(text):
        return text
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """Model input: cleaned text, NFKC width folding, lower case, simplified, URLs removed."""
    text = strip_urls(text[:MAX_ANALYSED_CHARS])
    text = unicodedata.normalize("NFKC", text).lower()
    return to_simplified(text)


def alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `words`, longest first (so 泰山港华燃气 wins over 港华); None
    when there are none."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None
