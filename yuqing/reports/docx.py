"""A briefing as a Word document (python-docx): the same sections as the HTML page."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from yuqing.reports.html import change, share, summary
from yuqing.reports.model import Briefing

FONT = "Microsoft YaHei"  # Word on staff PCs; LibreOffice substitutes a CJK font


def _table(document, headers: list[str], rows: list[list[object]], empty: str = "无",
           widths: list[float] | None = None) -> None:
    """A table; `widths` (cm, summing to the 17 cm text width) gives text columns the room and
    keeps short ones on one line (Word reads the cells' widths, LibreOffice the columns')."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows or [[empty] + [""] * (len(headers) - 1)]:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
            for cell in column.cells:
                cell.width = Cm(width)


def _style(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2)


def _picture(document, png: bytes | None, note: str) -> None:
    if png:
        document.add_picture(io.BytesIO(png), width=Cm(16))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif note:
        document.add_paragraph(note).runs[0].font.color.rgb = RGBColor(0x66, 0x72, 0x7F)


def render_docx(b: Briefing, *, charts: dict[str, bytes | None], chart_note: str = "") -> bytes:
    document = Document()
    _style(document)
    document.add_heading(b.title, level=0)
    document.add_paragraph(f"统计范围：{b.period.label}（仅相关信息）　生成时间：{b.generated_at:%Y-%m-%d %H:%M}")
    document.add_heading("一、总体情况", level=1)
    document.add_paragraph(summary(b))
    f, p = b.figures, b.previous
    _table(document, ["信息总量", "负面信息", "负面占比", "中性", "正面"],
           [[f"{f.total}（{change(f.total, p.total)}）", f"{f.negative}（{change(f.negative, p.negative)}）",
             share(f), f.neutral, f.positive]])
    document.add_heading("二、声量走势", level=1)
    _picture(document, charts.get("trend"), chart_note)
    _table(document, ["日期", "负面", "中性", "正面", "合计"],
           [[t.day.isoformat(), t.negative, t.neutral, t.positive, t.total] for t in b.trend])
    document.add_heading("三、分布", level=1)
    _picture(document, charts.get("categories"), "")
    _table(document, ["业务类别", "条数"], [[c.value, c.count] for c in b.categories], "本期无业务类别")
    _table(document, ["平台", "条数"], [[c.value, c.count] for c in b.platforms], "本期无相关信息")
    _table(document, ["区县", "条数"], [[c.value, c.count] for c in b.districts], "本期无地点信息")
    document.add_heading("四、重点负面事件", level=1)
    _table(document, ["事件", "信息数", "负面", "平台", "地点", "最近", "状态"],
           [[e.summary, e.mentions, e.negative, "、".join(e.platforms), e.place or "—",
             f"{e.last_seen_at:%m-%d %H:%M}", e.status] for e in b.events], "本期无负面事件",
           widths=[5.4, 1.6, 1.2, 2.0, 2.4, 2.0, 2.4])
    if b.negative_mentions:
        document.add_paragraph("互动最多的负面信息：")
        _table(document, ["时间", "平台", "作者", "内容", "互动"],
               [[f"{m.published_at:%m-%d %H:%M}", m.platform, m.author, m.text, m.engagement]
                for m in b.negative_mentions], widths=[2.0, 1.6, 3.0, 8.8, 1.6])
    for section in b.extra:
        document.add_heading(section.title, level=1)
        _table(document, section.headers, section.rows)
        if section.note:
            document.add_paragraph(section.note)
    document.add_heading("五、自有渠道运行情况", level=1)
    if b.sites.targets:
        _table(document, ["检查目标", "类型", "检查次数", "可用率"],
               [[t.target, t.kind, t.checks, "—" if t.uptime is None else f"{t.uptime:.2f}%"]
                for t in b.sites.targets])
        document.add_paragraph(f"故障 {len(b.sites.incidents)} 起：")
        _table(document, ["目标", "开始", "恢复", "时长(分钟)", "原因", "说明"],
               [[i.target, f"{i.opened_at:%m-%d %H:%M}",
                 f"{i.recovered_at:%m-%d %H:%M}" if i.recovered_at else "未恢复",
                 "—" if i.minutes is None else i.minutes, i.reason, i.detail] for i in b.sites.incidents],
               "本期无故障")
    else:
        document.add_paragraph("未配置自有渠道检查目标。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
