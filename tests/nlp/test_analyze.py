"""analyze(): relevance, categories, places, keywords and fingerprints on our own texts."""

import pytest

from nlp.analyze import Analyzer
from nlp.fingerprint import distance
from tests.builders import mention
from yuqing.records import Category, SentimentLabel
from yuqing.settings import EntitySettings, Settings


def codes(analysis) -> set[str]:
    return set(analysis.category_codes)


def test_complaint_about_the_utility(analyzer: Analyzer) -> None:
    a = analyzer.analyze(mention(1, "泰山港华燃气太差了！岱岳区粥店街道幸福家园停气三天，客服电话一直打不通"))
    assert a.relevant and a.relevance_score >= 0.8
    assert any("泰山港华燃气" in r for r in a.relevance_reasons)
    assert {"outage", "service"} <= codes(a)
    outage = next(h for h in a.categories if h.code == Category.outage)
    assert outage.evidence == "停气" and 0.5 <= outage.confidence <= 1
    assert a.place == "岱岳区 粥店街道 幸福家园"
    assert "停气" in a.keywords and "泰山港华燃气" not in a.keywords



def test_keywords_leave_out_numbers_and_amounts(analyzer: Analyzer) -> None:
    text = "泰安港华燃气十一点停气，等了一个半小时，四百多户没气，燃气费2.3元一方还涨到3.6元"
    keywords = analyzer.analyze(mention(1, text)).keywords
    assert "停气" in keywords and "燃气费" in keywords
    assert not {"十一点", "一个半", "四百多", "2.3", "3.6"} & set(keywords), keywords

@pytest.mark.parametrize(
    ("text", "relevant"),
    [
        ("泰安港华燃气的抢修师傅来得很快", True),
        ("港华燃气在泰安岱岳区的营业厅排队太久", True),  # ambiguous name + our place
        ("泰安岱岳区停气了，什么时候恢复", True),  # our place + a gas-service word
        ("济南港华燃气开展安全进社区活动", False),  # another city's branch
        ("港华智慧能源港股收涨，燃气板块走强", False),  # finance
        ("诚聘燃气管道安装工，泰安本地优先，薪资面议", False),  # recruitment
        ("周末去泰山看日出", False),
        ("港华燃气今年业绩不错", False),  # ambiguous name, no place of ours
        ("郑州港华燃气停气了，岱岳区的朋友说不影响", False),  # a branch the config does not list
        ("我们港华燃气营业厅在泰安岱岳区，排队太久", True),  # 我们 is not a city
    ],
)
def test_relevance(analyzer: Analyzer, text: str, relevant: bool) -> None:
    a = analyzer.analyze_text(text)
    assert a.relevant is relevant, a.relevance_reasons
    assert a.relevance_reasons


def test_relevance_follows_configuration() -> None:
    water = Settings(entity=EntitySettings(name="泰安水务", aliases=["泰安水务集团"], context_aliases=[],
                                           places=["泰安"], topic_words=["停水"], exclusions=[]))
    a = Analyzer(water).analyze_text("泰安水务集团又停水了")
    assert a.relevant and "泰安水务集团" in a.relevance_reasons[0]
    assert not Analyzer(water).analyze_text("泰山港华燃气停气").relevant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新房交房半年还没通气，报装申请交了三个月", {"connection"}),
        ("燃气管道施工把路挖了一个月，路面没有恢复", {"construction"}),
        ("这个月燃气费多了两百，表走得快，估抄的吧", {"billing"}),
        ("楼道里有很重的燃气味，怕是漏气了", {"safety"}),
        ("燃气表坏了报修三天没人来", {"maintenance"}),
        ("燃气公司公众号缴费失败，钱扣了没到账", {"online"}),
        ("燃气公司入户安检的人检查了灶具和管道", {"inspection"}),
        ("有人冒充燃气公司上门推销报警器", {"scam"}),
        ("晚上做饭燃气火苗太小，气压低", {"outage"}),
    ],
)
def test_rule_categories(analyzer: Analyzer, text: str, expected: set[str]) -> None:
    assert expected <= codes(analyzer.analyze_text("泰安" + text))


def test_no_categories_without_gas_context(analyzer: Analyzer) -> None:
    assert analyzer.analyze_text("泰安的快递服务态度太差了，电话打不通").categories == []


def test_near_duplicates_share_most_fingerprint_bits(analyzer: Analyzer) -> None:
    a = analyzer.analyze_text("泰山港华燃气岱岳区停气三天没人管，打电话也没人接，太气人了")
    b = analyzer.analyze_text("转发：泰山港华燃气岱岳区停气三天没人管，打电话也没人接，太气人了！！")
    c = analyzer.analyze_text("感谢燃气公司师傅上门安检，讲解很耐心")
    assert distance(a.fingerprint, b.fingerprint) <= 8 < distance(a.fingerprint, c.fingerprint)


def test_tokens_let_a_short_name_find_a_long_word(analyzer: Analyzer) -> None:
    tokens = analyzer.analyze_text("泰山港华燃气通知").tokens
    assert "泰山港华燃气" in tokens and "港华" in tokens


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "http://t.cn/abc https://x.cn", "燃氣公司停氣三天", "Gas company 泰安 no gas",
     "停气" * 50_000, "\ufffd\x00\x01", "<div><p></p></div>"],
)
def test_odd_input_gives_a_valid_analysis(analyzer: Analyzer, text: str) -> None:
    a = analyzer.analyze_text(text)
    assert 0 <= a.sentiment.score <= 1 and 0 <= a.relevance_score <= 1
    assert len(a.fingerprint) == 16


def test_empty_text_is_neutral_and_irrelevant(analyzer: Analyzer) -> None:
    a = analyzer.analyze_text("")
    assert a.sentiment.label == SentimentLabel.neutral and not a.relevant and a.categories == []


def test_traditional_text_is_understood(analyzer: Analyzer) -> None:
    a = analyzer.analyze_text("泰山港華燃氣停氣三天了")
    assert a.relevant and "outage" in codes(a)


def test_place_names_are_masked_for_sentiment_only(analyzer: Analyzer) -> None:
    text = "泰山港华燃气，岱岳区粥店街道幸福家园3号楼楼道里闻到很浓的燃气味，打了电话还没人来，太吓人了"
    masked = analyzer.places.mask(text)
    assert masked.startswith("泰山港华燃气，岱岳区") and "幸福" not in masked and "粥店街道" not in masked
    assert analyzer.places.mask("感谢阳光花园的师傅") == "感谢某小区的师傅"
    a = analyzer.analyze(mention(1, text))
    assert a.sentiment.label == SentimentLabel.negative  # 幸福家园 is a name, not praise
    assert a.place == "岱岳区 粥店街道 幸福家园" and "幸福家园" in text
    short = analyzer.analyze(mention(2, "幸福家园3号楼楼道燃气味特别大，泰安港华快来人看看！"))
    assert short.sentiment.label == SentimentLabel.negative
