"""Complaint categories by rule: each category is a list of weighted patterns.

How a category is decided: every pattern that matches adds its weight as independent
evidence (confidence = 1 - prod(1 - weight)); a category is reported when its confidence
reaches `MIN_CONFIDENCE`, with the first strongest matching span as evidence. A text that
is about gas but matches no category gets `other`. Rules run on normalised text
(simplified, lower case), so patterns are written in that form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yuqing.records import Category, CategoryHit

MIN_CONFIDENCE = 0.5

# (pattern, weight). Strong, specific phrases weigh 0.7–0.9; generic words 0.3–0.5 so that
# two generic hits, or one generic hit plus gas context, are needed.
RULES: dict[Category, list[tuple[str, float]]] = {
    Category.connection: [
        (r"报装|开户|装表|挂表|开栓|接气|接驳", 0.75),
        (r"(迟迟|一直|还|仍|始终|至今)(没|没有|未|不)(给)?(通气|通上气|开通|点火|装表|挂表)", 0.9),
        (r"(通气|点火|开通燃气|开通天然气)", 0.45),
        (r"(初装费|开口费|配套费|入户费|接驳费)", 0.6),
        (r"新(房|小区|楼).{0,12}(燃气|天然气|通气)", 0.5),
        (r"申请.{0,6}(燃气|天然气|安装)", 0.6),
    ],
    Category.construction: [
        (r"(燃气|天然气|管道|管网).{0,10}(施工|开挖|铺设|改造)", 0.8),
        (r"(施工|开挖|挖路|占道|占掘|围挡|破路)", 0.55),
        (r"(路面|道路|绿化|草坪).{0,8}(没有|未|不)(恢复|回填|修复)", 0.8),
        (r"(施工|挖).{0,10}(噪音|扰民|尘土|灰尘|堵路|挖断)", 0.85),
    ],
    Category.billing: [
        (r"燃气费|气费|气价|阶梯(气价|价格|计价)?|燃气价格|天然气价格", 0.8),
        (r"乱收费|多收|收费不合理|重复收费|强制收费|退费|滞纳金|押金", 0.85),
        (r"(抄表|估抄|账单|欠费|充值|缴费|交费|ic卡|气卡|预付费)", 0.55),
        (r"(表|计量).{0,6}(不准|走得快|跑得快|虚高|偏快|多走)", 0.9),
        (r"(涨价|调价|价格上调|收费标准)", 0.6),
        (r"(费用|收费|价格)", 0.35),
    ],
    Category.outage: [
        (r"停气|断气|没气|没有气|无气|没了气|不供气|停止供气|供气不足", 0.85),
        (r"(气压|压力)(低|小|不足|不够|太低)|降压|火(太)?小|火苗(太)?小|打不着火|限气|限量供气", 0.8),
        (r"(恢复供气|复气|计划停气)", 0.6),
        (r"(做不了饭|没法做饭|不能做饭|洗不了澡).{0,10}", 0.4),
    ],
    Category.safety: [
        (r"泄漏|泄露|漏气|跑气|燃气味|煤气味|天然气味|(闻到|有).{0,6}(异味|气味|味道)", 0.9),
        (r"中毒|一氧化碳", 0.9),
        (r"爆炸|爆燃|闪爆|起火|着火|燃烧", 0.85),
        (r"(安全)?隐患|危险|不安全", 0.45),
    ],
    Category.maintenance: [
        (r"维修|报修|修理|抢修|维护", 0.7),
        (r"(表|阀门|管道|管子|灶|壁挂炉|热水器|接口|调压箱).{0,6}"
         r"(坏|损坏|故障|生锈|锈蚀|破裂|裂了|关不上|打不开)", 0.85),
        (r"(换表|更换.{0,4}(表|阀门|管道))", 0.6),
        (r"(修|来人).{0,8}(没人来|不来|不管|拖)", 0.6),
    ],
    Category.service: [
        (r"态度(差|恶劣|不好|蛮横|太差|极差)|服务(差|太差|极差|不好)", 0.9),
        (r"推诿|踢皮球|扯皮|敷衍|不作为|不理睬|爱答不理|投诉无门|没人管|无人管|不管不问", 0.85),
        (r"(电话|热线|客服).{0,8}(打不通|没人接|无人接|占线|接不通|不接)", 0.9),
        (r"(营业厅|柜台|窗口).{0,10}(排队|人多|等了|态度)", 0.7),
        (r"(客服|工作人员|营业厅|热线|师傅)", 0.3),
        (r"(感谢|点赞|表扬|锦旗|及时|耐心|热情)", 0.35),
    ],
    Category.online: [
        (r"公众号|小程序|网上营业厅|网厅|app|网站|官网|线上|微信缴费|支付宝|网上缴费", 0.6),
        (r"(缴费|充值|支付|交费).{0,8}(失败|不成功|没到账|未到账|不到账|扣款|显示异常)", 0.85),
        (r"(系统|页面|公众号|app|小程序).{0,6}(故障|崩|打不开|进不去|报错|维护|卡)", 0.85),
    ],
    Category.inspection: [
        (r"安检|入户检查|安全检查|上门检查|入户服务", 0.85),
        (r"(检查|安检)(人员|员)", 0.6),
    ],
    Category.scam: [
        (r"冒充|假冒|假扮|自称.{0,8}(燃气|天然气)", 0.9),
        (r"诈骗|骗子|骗局|被骗|上当", 0.75),
        (r"推销.{0,8}(报警器|软管|胶管|自闭阀|灶具|管子)", 0.85),
        (r"(强制|强行|逼着).{0,6}(购买|安装|更换|买)", 0.7),
        (r"(陌生|可疑|钓鱼)(链接|二维码|网址)|(扫码|链接).{0,6}(缴费|退费|补贴)", 0.8),
    ],
}

_COMPILED = {
    category: [(re.compile(pattern), weight) for pattern, weight in rules]
    for category, rules in RULES.items()
}

GAS_CONTEXT = re.compile(r"燃气|天然气|煤气|液化气|港华|燃气表|气表|壁挂炉|燃气灶|通气|停气|漏气|管道气")


@dataclass(frozen=True, slots=True)
class _Score:
    confidence: float
    evidence: str
    best: float


def _score(text: str, rules: list[tuple[re.Pattern[str], float]]) -> _Score | None:
    miss = 1.0
    evidence, best = "", 0.0
    for pattern, weight in rules:
        match = pattern.search(text)
        if match:
            miss *= 1.0 - weight
            if weight > best:
                evidence, best = match.group(0), weight
    if miss == 1.0:
        return None
    return _Score(1.0 - miss, evidence, best)


def categorize(text: str, gas_context: bool | None = None) -> list[CategoryHit]:
    """Categories of a normalised text, strongest first; empty when it is not about gas."""
    if gas_context is None:
        gas_context = bool(GAS_CONTEXT.search(text))
    if not gas_context:
        return []
    hits: list[CategoryHit] = []
    for category, rules in _COMPILED.items():
        score = _score(text, rules)
        if score and score.confidence >= MIN_CONFIDENCE:
            hits.append(CategoryHit(code=category, confidence=round(score.confidence, 3),
                                    evidence=score.evidence))
    if not hits:
        match = GAS_CONTEXT.search(text)
        hits.append(CategoryHit(code=Category.other, confidence=0.5,
                                evidence=match.group(0) if match else ""))
    hits.sort(key=lambda hit: hit.confidence, reverse=True)
    return hits
