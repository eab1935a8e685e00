"""Near-duplicate and event linking (pure logic; the ingest tests cover it with a store)."""

from nlp.events import DUPLICATE_BITS, Candidate, link


def candidate(cid: str, fp: str = "ffffffffffffffff", *, relevant: bool = True, categories=("outage",),
              place: str = "", keywords=(), duplicate_of: str = "", event_id: str = "") -> Candidate:
    return Candidate(cid, fp, relevant, frozenset(categories), place, frozenset(keywords), duplicate_of,
                     event_id or cid)


def flip(fp: str, bits: int) -> str:
    return f"{int(fp, 16) ^ ((1 << bits) - 1):016x}"


BASE = "a5a5a5a5a5a5a5a5"


def args(**overrides):
    values = dict(mention_id="new", fingerprint=BASE, words=20, relevant=True, categories=["outage"],
                  place="岱岳区 粥店街道 幸福家园", keywords=["停气", "幸福家园"], candidates=[])
    values.update(overrides)
    return values


def test_a_copy_links_to_the_original_and_its_event() -> None:
    original = candidate("a", flip(BASE, DUPLICATE_BITS), event_id="ev")
    links = link(**args(candidates=[original]))
    assert (links.duplicate_of, links.event_id) == ("a", "ev")


def test_a_copy_of_a_copy_links_to_the_first() -> None:
    copy = candidate("b", BASE, duplicate_of="a", event_id="ev")
    assert link(**args(candidates=[copy])).duplicate_of == "a"


def test_too_far_or_too_short_is_not_a_copy() -> None:
    far = candidate("a", flip(BASE, DUPLICATE_BITS + 1), categories=("billing",))
    assert link(**args(candidates=[far])).duplicate_of == ""
    near = candidate("a", BASE, categories=("billing",))
    assert link(**args(words=3, candidates=[near])).duplicate_of == ""


def test_same_problem_same_compound_is_one_event_across_platforms() -> None:
    other_text = candidate("weibo:1", "0f0f0f0f0f0f0f0f", place="岱岳区 粥店街道 幸福家园", event_id="weibo:1")
    links = link(**args(mention_id="news:9", candidates=[other_text]))
    assert (links.duplicate_of, links.event_id) == ("", "weibo:1")


def test_a_compound_named_without_its_district_joins_the_event() -> None:
    full = candidate("a", "0f0f0f0f0f0f0f0f", place="岱岳区 粥店街道 幸福家园")
    assert link(**args(place="幸福家园", keywords=[], candidates=[full])).event_id == "a"
    bare = candidate("b", "0f0f0f0f0f0f0f0f", place="幸福家园")
    assert link(**args(keywords=[], candidates=[bare])).event_id == "b"
    district = candidate("c", "0f0f0f0f0f0f0f0f", place="岱岳区")
    assert link(**args(place="岱岳区", keywords=[], candidates=[district])).event_id == "new"  # too coarse


def test_shared_keywords_join_an_event_without_a_place() -> None:
    c = candidate("a", "0f0f0f0f0f0f0f0f", keywords=("停气", "幸福家园", "三天"))
    assert link(**args(place="", candidates=[c])).event_id == "a"


def test_different_problem_or_place_starts_a_new_event() -> None:
    billing = candidate("a", "0f0f0f0f0f0f0f0f", categories=("billing",), place="岱岳区 粥店街道 幸福家园")
    elsewhere = candidate("b", "0f0f0f0f0f0f0f0f", place="新泰市 青云街道 平阳小区", keywords=("燃气",))
    only_other = candidate("c", "0f0f0f0f0f0f0f0f", categories=("other",), place="岱岳区 粥店街道 幸福家园")
    assert link(**args(candidates=[billing, elsewhere, only_other])).event_id == "new"


def test_irrelevant_mentions_get_no_event() -> None:
    assert link(**args(relevant=False, candidates=[candidate("a", "0f0f0f0f0f0f0f0f")])).event_id == ""
    copy = link(**args(relevant=False, candidates=[candidate("a", BASE)]))
    assert copy.duplicate_of == "a" and copy.event_id == ""
