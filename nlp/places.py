"""Places: the most specific Tai'an place a mention names.

A gazetteer (shipped in data/places.tsv, extendable from settings) gives the city, its
districts and counties, towns and streets and main roads; residential compounds are found
by their name endings (小区, 花园, 家园 ...). The result reads from coarse to fine, e.g.
"岱岳区 粥店街道 幸福家园", which is what a repair dispatcher needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

GAZETTEER = Path(__file__).parent / "data" / "places.tsv"
_LEVELS = {"city": 0, "district": 1, "street": 2, "road": 3}
_COMPOUND_SUFFIX = ("小区", "花园", "家园", "新村", "社区", "公寓", "佳园", "华庭", "花苑", "嘉园",
                    "名苑", "雅苑", "山庄", "宿舍", "村")
_COMPOUND_SUFFIX_RE = "|".join(_COMPOUND_SUFFIX)
# A compound name: 2–6 Chinese characters (not starting with a function word) then a suffix.
_COMPOUND = re.compile(
    rf"(?<![在住到去是的了和与])([\u4e00-\u9fa5]{{2,6}}?(?:{_COMPOUND_SUFFIX_RE}))(?:\d+号楼|\d+栋)?"
)
_NOT_A_COMPOUND = ("农村", "乡村", "这个小区", "我们小区", "本小区", "整个小区", "老旧小区", "新小区",
                   "小区", "社区", "各村", "全村", "该小区", "我们村")
_LEADING_NOISE = re.compile(r"^(住在|位于|家住|我家|我们|家在|在|住|的|了|是|到|我)+")


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    level: str
    parent: str


def load_gazetteer(path: Path = GAZETTEER, extra: list[str] = ()) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        level, name, parent = [*line.split("\t"), ""][:3]
        places[name] = Place(name, level, parent)
    for entry in extra:  # "level:name:parent" from settings
        level, _, rest = entry.partition(":")
        name, _, parent = rest.partition(":")
        if level in _LEVELS and name:
            places[name] = Place(name, level, parent)
    return places


class PlaceFinder:
    def __init__(self, gazetteer: dict[str, Place]) -> None:
        self.gazetteer = gazetteer
        names = sorted(gazetteer, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def _compound(self, text: str) -> str:
        for match in _COMPOUND.finditer(text):
            name = _LEADING_NOISE.sub("", match.group(1))
            if len(name) > 2 and name not in _NOT_A_COMPOUND and name not in self.gazetteer:
                return name
        return ""

    def find(self, text: str) -> str:
        """Coarse-to-fine place path, or "" when the text names none."""
        found: dict[int, Place] = {}
        if self._pattern:
            for match in self._pattern.finditer(text):
                place = self.gazetteer[match.group(0)]
                found.setdefault(_LEVELS[place.level], place)
            # Mask known names so a compound name cannot swallow the street before it.
            text = self._pattern.sub("|", text)
        parts: list[str] = []
        finest = max(found) if found else -1
        if finest >= 2:  # a street or road implies its district
            street = found[finest]
            district = found.get(1)
            parts.append(district.name if district else street.parent)
            parts.append(street.name)
        elif finest >= 0:
            parts.append(found[finest].name)
        compound = self._compound(text)
        if compound:
            parts.append(compound)
        return " ".join(p for p in parts if p)
