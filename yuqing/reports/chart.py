"""Briefing charts drawn on the server without a browser: matplotlib (Agg) with a CJK font
from the system (Debian: fonts-noto-cjk). Without such a font the charts are left out and
the report says why; the figures and tables are still there."""

from __future__ import annotations

import io
import logging
import os
from functools import lru_cache
from pathlib import Path

from store.base import Count, TrendBucket

log = logging.getLogger("yuqing.reports")
FONT_ENV = "YUQING_CJK_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
NO_FONT = "图表未生成：服务器缺少中文字体（请安装 fonts-noto-cjk）"
COLORS = {"negative": "#d9363e", "neutral": "#8c96a3", "positive": "#2f9e5b"}
NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use ($YUQING_CJK_FONT, else a known file)."""
    from matplotlib import font_manager

    for candidate in (os.environ.get(FONT_ENV), *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            font_manager.fontManager.addfont(candidate)
            return font_manager.FontProperties(fname=candidate).get_name()
    log.warning("no CJK font found (%s); briefing charts are left out", ", ".join(FONT_CANDIDATES))
    return None


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    font = cjk_font()
    if font is None:
        return None
    figure = Figure(figsize=(width, height))
    figure.set_layout_engine("constrained")
    return figure


def trend_png(buckets: list[TrendBucket]) -> bytes | None:
    """Stacked daily bars by sentiment; None without a CJK font."""
    figure = _figure(8, 3)
    if figure is None or not buckets:
        return None
    from matplotlib import rc_context

    with rc_context({"font.family": [cjk_font(), "DejaVu Sans"], "axes.unicode_minus": False}):
        axes = figure.add_subplot()
        days = [b.day.strftime("%m-%d") for b in buckets]
        bottom = [0] * len(buckets)
        for key in ("negative", "neutral", "positive"):
            values = [getattr(b, key) for b in buckets]
            axes.bar(days, values, bottom=bottom, color=COLORS[key], label=NAMES[key], width=0.7)
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        axes.set_title("声量走势（按情感，单位：条）")
        figure.legend(loc="outside upper right", frameon=False, ncols=3)
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
        if len(days) > 14:
            axes.set_xticks(range(0, len(days), max(1, len(days) // 10)))
        return _png(figure)


def bars_png(items: list[Count], title: str) -> bytes | None:
    """Horizontal bars, largest on top; None without a CJK font or data."""
    figure = _figure(8, 0.35 * max(3, len(items)) + 0.8)
    if figure is None or not items:
        return None
    from matplotlib import rc_context

    with rc_context({"font.family": [cjk_font(), "DejaVu Sans"]}):
        axes = figure.add_subplot()
        shown = list(reversed(items))
        axes.barh([c.value for c in shown], [c.count for c in shown], color="#2b6cb0", height=0.6)
        for y, c in enumerate(shown):
            axes.text(c.count, y, f" {c.count}", va="center", fontsize=9)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        axes.xaxis.get_major_locator().set_params(integer=True)
        return _png(figure)
