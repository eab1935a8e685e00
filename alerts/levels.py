"""Alert levels 蓝/黄/橙/红: what each means and how they compare."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    blue = "blue"
    yellow = "yellow"
    orange = "orange"
    red = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def zh(self) -> str:
        return LEVEL_ZH[self]


_RANK = {Level.blue: 1, Level.yellow: 2, Level.orange: 3, Level.red: 4}

LEVEL_ZH = {Level.blue: "蓝色", Level.yellow: "黄色", Level.orange: "橙色", Level.red: "红色"}

# What staff are told each level means (also in the README).
LEVEL_MEANING = {
    Level.blue: "关注：相关负面信息，影响小，纳入日常研判",
    Level.yellow: "提示：有一定传播或重复出现的投诉，当日研判处置",
    Level.orange: "严重：媒体或大V发布、高互动或异常聚集，立即研判并通知舆情专班",
    Level.red: "紧急：危及生命安全（泄漏、爆炸、中毒）或大面积停气，立即处置并通知全部渠道",
}


def highest(levels: list[Level]) -> Level | None:
    return max(levels, key=lambda level: level.rank) if levels else None
