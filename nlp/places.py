"""Places: the most specific Tai'an place a mention names.

A gazetteer (shipped in data/places.tsv, extendable from settings) gives the city, its
districts and counties, towns and streets, main roads and landmarks; residential
compounds are found by their name endings (小区, 花园, 家园 ...). The result reads from
coarse to fine, e.g. "岱岳区 粥店街道 幸福家园", which is what a repair dispatcher needs.

Names inside the company's own name (泰安 in 泰安港华燃气) say nothing about where a
problem is, so the company names are masked before searching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.clean import alternation

GAZETTEER = Path(__file__).parent / "data" / "places.tsv"
_LEVELS = {"city": 0, "district": 1, "street": 2, "road": 3, "landmark": 3, "compound": 4}
CITY_WIDE = "市级/未细分"  # the district of a mention that names only the city
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "新村", "社区", "公寓", "佳园", "华庭", "花苑", "嘉园", "名苑",
                     "雅苑", "山庄", "宿舍", "苑", "村")
_SUFFIX = re.compile("|".join(sorted(COMPOUND_SUFFIXES, key=len, reverse=True)))
# Characters that never occur in a compound's proper name but often right before 小区 in
# running text (我们小区, 燃气公司在小区, 这边小区, 多个小区 ...).
_NOT_IN_NAME = set("在里的了们这那个有多每到来去进上下不是与说人车早天公司但周只停"
                   "等该本全各些整老旧新我你他她它就也都还给让被把对从向于以"
                   "谢诉映扬住近往问位")  # 感谢/投诉/反映/表扬/住在/附近/前往/请问/位于 X小区
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    level: str
    parent: str
    canonical: str = ""  # the full form of a short name (新泰 -> 新泰市)

    @property
    def shown(self) -> str:
        return self.canonical or self.name


def _add(places: dict[str, Place], place: Place) -> None:
    """A compound named under two different streets is ambiguous: kept without a parent."""
    earlier = places.get(place.name)
    if place.level == "compound" and earlier and earlier.level == "compound" and earlier.parent != place.parent:
        place = Place(place.name, "compound", "")
    places[place.name] = place


def load_gazetteer(path: Path = GAZETTEER, extra: Iterable[str] = ()) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        level, name, parent, canonical = [*line.split("\t"), "", ""][:4]
        _add(places, Place(name, level, parent, canonical))
    for entry in extra:  # "level:name:parent" from settings
        level, _, rest = entry.partition(":")
        name, _, parent = rest.partition(":")
        if level in _LEVELS and name:
            _add(places, Place(name, level, parent))
    return places


def district_of(place: str, gazetteer: dict[str, Place] | None = None) -> str:
    """The district (区县) of a place path: its first part, or CITY_WIDE when that is the city."""
    head = place.split()[0] if place.strip() else ""
    known = (gazetteer if gazetteer is not None else _shipped()).get(head)
    return CITY_WIDE if known is not None and known.level == "city" else head


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Place]:
    return load_gazetteer()


class PlaceFinder:
    def __init__(self, gazetteer: dict[str, Place], masked_names: Iterable[str] = ()) -> None:
        self.gazetteer = gazetteer
        self._places = alternation(gazetteer)
        self._masked = alternation(masked_names)
        # For `mask`: the company's own names first, so 泰山 inside 泰山港华燃气 stays.
        own, places = self._masked, self._places
        self._names_and_places = re.compile(
            "|".join(f"(?P<{group}>{pattern.pattern})" for group, pattern in (("own", own), ("place", places))
                     if pattern)) if (own or places) else None

    @staticmethod
    def _compounds(text: str) -> Iterable[tuple[int, int]]:
        """Spans of residential compound names: the name characters right before a suffix."""
        for match in _SUFFIX.finditer(text):
            start = match.start()
            while start > 0 and match.start() - start < 6:
                ch = text[start - 1]
                if not _CJK.match(ch) or ch in _NOT_IN_NAME:
                    break
                start -= 1
            if match.start() - start >= 2:
                end = match.end()
                if text[end : end + 2] == "小区" and match.group(0) != "小区":
                    end += 2  # 书香苑小区 is one name
                yield start, end

    def _compound(self, text: str) -> str:
        """The first residential compound named in the text."""
        start, end = next(iter(self._compounds(text)), (0, 0))
        return text[start:end]

    def mask(self, text: str) -> str:
        """The text with streets, roads and landmarks read as 某地 and compounds as 某小区. They
        are often named for good things (幸福家园, 阳光花园, 和平路): a gas leak there is not good
        news. The company's names, the city and its districts and counties stay as written."""
        replaced: list[tuple[int, int, str]] = []

        def protect(match: re.Match[str]) -> str:
            level = _LEVELS[self.gazetteer[match.group(0)].level] if match.lastgroup == "place" else 0
            if level > 1:
                replaced.append((*match.span(), "某小区" if level == 4 else "某地"))
            return "|" * len(match.group(0))  # same length, and it ends a compound name

        protected = self._names_and_places.sub(protect, text) if self._names_and_places else text
        replaced += [(start, end, "某小区") for start, end in self._compounds(protected)]
        parts, last = [], 0
        for start, end, token in sorted(replaced):
            if start >= last:
                parts += [text[last:start], token]
                last = end
        return "".join(parts) + text[last:]

    def _shown(self, name: str) -> str:
        place = self.gazetteer.get(name)
        return place.shown if place else name

    def find(self, text: str) -> str:
        """Coarse-to-fine place path, or "" when the text names none."""
        if self._masked:
            text = self._masked.sub("|", text)
        found: dict[int, Place] = {}
        if self._places:
            for match in self._places.finditer(text):
                place = self.gazetteer[match.group(0)]
                found.setdefault(_LEVELS[place.level], place)
            # Mask known names so a compound name cannot swallow the street before it.
            text = self._places.sub("|", text)
        known = found.pop(4, None)  # a compound of the gazetteer: its street and district follow
        if known is not None and known.parent in self.gazetteer:
            street = self.gazetteer[known.parent]
            named = found.get(1)  # a text naming another district means another compound of that name
            if named is None or named.shown == self._shown(street.parent):
                found.setdefault(_LEVELS[street.level], street)
        parts: list[str] = []
        finest = max(found) if found else -1
        if finest >= 2:  # a street, road or landmark implies its district
            fine = found[finest]
            coarse = found.get(1)
            parent = self.gazetteer.get(fine.parent)
            parts.append(coarse.shown if coarse else (parent.shown if parent else fine.parent))
            if finest == 3 and 2 in found:
                parts.append(found[2].shown)
            parts.append(fine.shown)
        elif finest >= 0:
            parts.append(found[finest].shown)
        if known is not None:
            parts.append(known.shown)
            return " ".join(dict.fromkeys(p for p in parts if p))
        compound = self._compound(text)
        if compound:
            parts.append(compound)
        return " ".join(dict.fromkeys(p for p in parts if p))
