"""A briefing as one self-contained HTML page (charts embedded), for download and e-mail."""

from __future__ import annotations

from itertools import zip_longest
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from yuqing.reports.model import Briefing, Figures

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def change(now: int, before: int) -> str:
    """'较上期 +25.0%' / '较上期 持平' / '上期为 0'."""
    if before == 0:
        return "上期为 0" if now else "与上期持平"
    ratio = 100 * (now - before) / before
    return "与上期持平" if ratio == 0 else f"较上期 {ratio:+.1f}%"


def share(figures: Figures) -> str:
    return "—" if figures.negative_share is None else f"{figures.negative_share:.1f}%"


def summary(b: Briefing) -> str:
    """The opening paragraph in plain Chinese."""
    f = b.figures
    if f.total == 0:
        text = "本期未监测到相关信息。"
    else:
        before = b.previous.total
        text = (f"本期共监测到相关信息 {f.total} 条（{change(f.total, before)}，上期 {before} 条），"
                f"其中负面 {f.negative} 条，占 {share(f)}；中性 {f.neutral} 条，正面 {f.positive} 条。")
        if b.categories:
            top = "、".join(f"「{c.value}」{c.count} 条" for c in b.categories[:3])
            text += f"业务类别主要为{top}。"
        if b.events:
            text += f"负面事件 {len(b.events)} 起，信息最多的是“{b.events[0].summary}”（{b.events[0].mentions} 条）。"
    incidents = len(b.sites.incidents)
    if b.sites.targets:
        text += f"自有渠道检查发生故障 {incidents} 起。" if incidents else "自有渠道检查未发生故障。"
    return text


def render_html(b: Briefing, *, images: dict[str, str], chart_note: str = "", link: str = "") -> str:
    """The page; `images` maps "trend" and "categories" to an image source (data: or cid: URI)."""
    # Every category (the chart above shows them all); platforms and districts are cut when built.
    distribution = list(zip_longest(b.categories, b.platforms, b.districts))
    return _env.get_template("briefing.html").render(
        b=b, images=images, chart_note=chart_note, link=link, summary=summary(b), change=change, share=share,
        distribution=distribution)
