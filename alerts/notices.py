"""What staff are told about alerts (Simplified Chinese)."""

from __future__ import annotations

from alerts.levels import Level
from alerts.models import Alert, AlertKind
from alerts.notify.outbox import Notice
from yuqing.records import CATEGORY_NAMES_ZH, Category, Platform

PLATFORM_ZH = {Platform.weibo: "微博", Platform.wechat: "微信", Platform.toutiao: "今日头条", Platform.douyin: "抖音",
               Platform.news: "新闻", Platform.board: "留言板", Platform.clipping: "报刊广电"}


def category_zh(code: str) -> str:
    try:
        return CATEGORY_NAMES_ZH[Category(code)]
    except ValueError:
        return "舆情"


def snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def title_for(*, category: str, place: str, text: str, life_safety: bool = False) -> str:
    what = "生命安全" if life_safety else category_zh(category)
    where = f"（{place}）" if place else ""
    return f"{what}{where}：{snippet(text, 50)}"


def _link(base_url: str, alert: Alert) -> str:
    return f"\n详情：{base_url.rstrip('/')}/api/alerts/{alert.id}" if base_url else ""


def opened(alert: Alert, *, base_url: str = "", ticket_id: int | None = None) -> Notice:
    level = Level(alert.level)
    kinds = {AlertKind.life_safety.value: "life_safety", AlertKind.operations.value: "operations"}
    kind = kinds.get(alert.kind, "alert")
    head = "【红色预警·生命安全】" if kind == "life_safety" else f"【{level.zh}预警】"
    lines = [alert.summary or alert.title]
    if kind == "life_safety":
        lines.insert(0, f"地点：{alert.place or '未识别，请电话核实'}")
        if ticket_id:
            lines.append(f"已生成紧急抢修工单 #{ticket_id}，请立即处置。")
    if alert.expected:
        lines.append("（与已公告的计划作业相关，属预期内舆情）")
    if alert.wording:
        lines.append(f"对外口径：{alert.wording}")
    reasons = "；".join(alert.reasons[:3])
    if reasons:
        lines.append(f"触发规则：{reasons}")
    return Notice(kind=kind, ref=f"alert:{alert.id}", level=alert.level, department=alert.department if
                  kind == "operations" else "", subject=f"{head}{alert.title}"[:300],
                  body="\n".join(lines) + _link(base_url, alert))


def raised(alert: Alert, before: str, *, base_url: str = "") -> Notice:
    level = Level(alert.level)
    return Notice(kind="alert", ref=f"alert:{alert.id}", level=alert.level,
                  subject=f"【预警升级为{level.zh}】{alert.title}"[:300],
                  body=(f"由{Level(before).zh}升级为{level.zh}，相关信息已 {alert.mention_count} 条。\n"
                        f"{alert.summary}" + _link(base_url, alert)))


def recovered(alert: Alert, note: str) -> Notice:
    return Notice(kind="recovered", ref=f"alert:{alert.id}", level=alert.level, department=alert.department,
                  subject=f"【已恢复】{alert.title}"[:300], body=note or "故障已恢复。")
