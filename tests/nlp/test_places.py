"""Places: a compound the gazetteer knows is completed with its street and district; one named
under two streets stays as written; the city alone is no district."""

from __future__ import annotations

from pathlib import Path

from nlp.places import CITY_WIDE, PlaceFinder, district_of, load_gazetteer


def _finder(extra: tuple[str, ...] = ()) -> PlaceFinder:
    return PlaceFinder(load_gazetteer(extra=extra), masked_names=["泰山港华燃气"])


def test_a_known_compound_gets_its_street_and_district() -> None:
    finder = _finder()
    full = finder.find("岱岳区粥店街道幸福家园从昨天下午停气到现在")
    bare = finder.find("幸福家园停气第二天，物业说是燃气公司管道抢修")
    with_city = finder.find("泰安幸福家园又停气了")
    assert full == bare == with_city == "岱岳区 粥店街道 幸福家园"
    assert district_of(bare) == "岱岳区"
    assert finder.find("泰山区幸福家园停气") == "泰山区 幸福家园"  # another district: another compound


def test_a_compound_under_two_streets_stays_as_written(tmp_path: Path) -> None:
    gazetteer = tmp_path / "places.tsv"
    rows = "city\t泰安市\t\ndistrict\t岱岳区\t泰安市\ndistrict\t泰山区\t泰安市\nstreet\t粥店街道\t岱岳区\n" \
           "street\t财源街道\t泰山区\ncompound\t阳光花园\t粥店街道\ncompound\t阳光花园\t财源街道\n"
    gazetteer.write_text(rows, encoding="utf-8")
    finder = PlaceFinder(load_gazetteer(gazetteer))
    assert finder.find("泰安市阳光花园停气了") == "泰安市 阳光花园"
    assert finder.find("财源街道阳光花园停气了") == "泰山区 财源街道 阳光花园"


def test_compounds_from_settings_and_masking() -> None:
    finder = _finder(("compound:书香苑:天平街道",))
    assert finder.find("书香苑停气了") == "岱岳区 天平街道 书香苑"
    assert finder.mask("幸福家园有燃气味") == "某小区有燃气味"  # read as a compound, not a street


def test_the_city_alone_is_no_district() -> None:
    finder = _finder()
    assert district_of(finder.find("泰安市燃气费又涨了")) == CITY_WIDE == "市级/未细分"
    assert district_of(finder.find("泰安市金色家园停气")) == CITY_WIDE
    assert district_of("新泰市 青云街道 平阳小区") == "新泰市" and district_of("") == ""
