"""Rule behaviour of nlp/categories.py: each case has a twin that differs only in the point the
rule decides, so a test fails both when the rule stops firing and when it fires everywhere."""

import pytest

from nlp.analyze import Analyzer
from nlp.categories import categorize
from nlp.clean import clean_text, normalize


def rule_codes(text: str) -> set[str]:
    """Categories decided by the rules alone (no trained model)."""
    return {hit.code.value for hit in categorize(normalize(clean_text(text)))}


@pytest.mark.parametrize(
    ("without", "with_", "code"),
    [
        # negated evidence is not evidence
        ("燃气公司师傅上门查了，没有闻到气味，也没有漏气，是点火器坏了",
         "燃气公司师傅上门查了，闻到气味，有漏气，是点火器坏了", "safety"),
        ("楼道里无异味，燃气报警器是误报", "楼道里有异味，燃气报警器响了", "safety"),
        # a developer's or regulator's attitude is not the utility's service
        ("开发商态度恶劣，小区燃气迟迟不通", "燃气公司态度恶劣，小区燃气迟迟不通", "service"),
        # a third party digging through a gas main is not our pipeline works
        ("挖掘机把燃气管道挖破了，燃气泄漏", "燃气管道施工把路挖了，路面一直没恢复", "construction"),
        # contests and drills are not repairs; road reinstatement is works, not a repair
        ("港华举办职工技能大赛，比拼燃气表维修", "燃气表坏了，报修后师傅来维修", "maintenance"),
        ("燃气管道施工后请尽快修复路面", "燃气表坏了请尽快修复", "maintenance"),
        # G2: conduct beyond the job, and a complaint dismissed, are service
        ("燃气公司师傅修好了阀门", "燃气公司师傅修好了阀门，还叮嘱我们开窗通风", "service"),
        ("燃气调压箱嘶嘶响，燃气公司来看了", "燃气调压箱嘶嘶响，燃气公司来看了说正常", "service"),
        ("燃气营业厅在城东", "燃气营业厅中午午休关门，上班族办不了", "service"),
        # forced purchases and invoices are billing
        ("安检员检查了燃气报警器", "燃气安检员非要我买报警器，一个四百八", "billing"),
        ("燃气公众号上查用气量", "燃气电子发票在公众号上开不出来", "billing"),
    ],
)
def test_rule_decides_the_point(without: str, with_: str, code: str) -> None:
    assert code not in rule_codes(without)
    assert code in rule_codes(with_)


def test_impersonators_money_is_the_scam_not_billing() -> None:
    assert rule_codes("燃气公司收管道年检费每户100元，这合理吗") >= {"billing"}
    codes = rule_codes("有人冒充燃气公司挨家上门收管道年检费，每户100元")
    assert "scam" in codes and "billing" not in codes


def test_not_the_gas_companys_people_is_a_scam() -> None:
    assert "scam" in rule_codes("两个人上门说检查燃气，打电话问了，他们不是燃气公司的人")
    assert "scam" not in rule_codes("两个人上门检查燃气，打电话问了，是燃气公司的人")


def test_negated_smell_is_not_safety_with_the_trained_model(analyzer: Analyzer) -> None:
    calm = analyzer.analyze_text("泰山港华燃气的师傅上门查了，没有闻到气味，也没有漏气，是灶具点火器坏了")
    alarm = analyzer.analyze_text("泰山港华燃气，家里闻到气味，怕是漏气了，师傅快来看看")
    assert "safety" not in calm.category_codes
    assert "safety" in alarm.category_codes
