"""Complaint categories: weighted rules, combined with a trained model when one is shipped.

How a category is decided by the rules:
1. Only texts with gas context (燃气, 天然气, 港华, 气表 ...) get categories at all.
2. For each category, spans matching its `VETOES` are masked first: words that look like
   evidence but are not, e.g. 打不着火 is not a fire, 拒绝安检将停止供气 is a threat and not
   an outage, 抢修电话 names a phone number and not a repair, 没有闻到气味 is not a leak,
   a developer's 态度差 is not our service, a third party digging through a main is not our works.
3. Every pattern that still matches adds its weight as independent evidence:
   confidence = 1 - prod(1 - weight). Strong, specific phrases weigh 0.7-0.95; generic
   words 0.3-0.45, so that a generic word alone never decides.
4. The category is reported when its confidence reaches `MIN_CONFIDENCE`, with the span of
   its strongest matching pattern as evidence.
5. Impersonation outranks money: when `scam` is reported, billing evidence is the
   fraudster's, not the utility's, and `billing` is dropped (GAS_DEV_SET.md, rule G1).
6. A gas-related text with no category gets `other` (the analyzer keeps `other` only for
   relevant mentions).
With the trained model (nlp/category_model.py), step 4 becomes: the rule confidence and the
model's probability are mixed, and the category is reported when the mix reaches the
threshold learned for it; evidence is the rule's span, else the model's strongest feature.
Rules run on normalised text (simplified, lower case, full-width folded). They were tuned
on the training texts only (gas_training.jsonl, the dev split of gas_examples.jsonl and the
Part A messages, from their cross-validation errors) and are measured on the test split of
gas_examples.jsonl (`yuqing nlp eval`) and by nested cross-validation (nlp/category_train.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yuqing.records import Category, CategoryHit

if TYPE_CHECKING:
    from nlp.category_model import CategoryModel

MIN_CONFIDENCE = 0.5

# Negated evidence: 没有闻到气味 / 没有漏气 / 无异味 / 排除泄漏 are not leaks. Masked for the safety
# rules and, in every category, for the trained model (which otherwise sees 漏气 and 气味).
NEGATED_SMELL_OR_LEAK = (r"(没有|没|未|无|不是|并非|排除了?)(闻到|闻见|发现|检测到|测出|有)?(任何|什么|燃气|煤气|明显)?"
                         r"(异味|燃气味|煤气味|天然气味|气味|味道|漏气|泄漏|泄露)")

_MONEY = r"(\d+(\.\d+)?\s*(元|块|万元)|[一二两三四五六七八九十百千几]+(元|块钱|块)|[一二两三四五六七八九几][百千][一二三四五六七八九十多]?)"

RULES: dict[Category, list[tuple[str, float]]] = {
    Category.connection: [
        (r"报装|装表|挂表|开栓|接驳|入户管|通气验收", 0.75),
        (r"(等|盼|排队|迟迟|一直|还|仍|始终|至今|就是)[^。！？]{0,8}(不|没|没有|未)?(给)?(通气|通上气|点火|开通|装表|挂表|接通)", 0.85),
        (r"(不给|拒绝|没法|无法)[^。！？]{0,6}(通气|点火|开通|接气|装表)", 0.85),
        (r"(申请|办理|办)[^。！？]{0,6}(开户|用气|天然气|燃气|商业用气|过户)", 0.75),
        (r"过户|销户|开户(要|需要|手续|资料|跑)", 0.7),
        (r"(交房|新房|新家|新小区|安置小区|村里)[^。！？]{0,20}(燃气|天然气|通气|点火|管网)", 0.55),
        (r"(未|没有|没)[^。！？]{0,4}(与|和)?[^。！？]{0,6}(市政管网|主管网)[^。！？]{0,4}(连通|接通)", 0.85),
        (r"(通气|点火|开户|接气)", 0.45),
        (r"(初装费|开口费|配套费|入户费|接驳费|接驳工程)", 0.6),
    ],
    Category.construction: [
        (r"(燃气|天然气|管道|管网|庭院管)[^。！？]{0,10}(施工|开挖|铺设|改造|更新|工程|建设)", 0.8),
        (r"(施工|开挖|挖路|挖坑|挖了|占道|占掘|围挡|破路|拉链路|碰口作业)", 0.6),
        (r"(路面|道路|绿化|草坪|绿地|地面)[^。！？]{0,10}(没有|未|不|没)(恢复|回填|修复)|(塌陷|坑洼|井盖高出)", 0.8),
        (r"(施工|挖)[^。！？]{0,10}(噪音|扰民|尘土|灰尘|堵路|挖断|挖破|吵)", 0.85),
        (r"(储备站|门站|调压站|主管网|管网)[^。！？]{0,10}(工程|完工|建设|新增|开工)", 0.8),
        (r"(改管|移表|警示桩)", 0.6),
        (r"铸铁管|镀锌管|老旧管(网|道)", 0.5),
        (r"切割路面|焊管|焊口|铺[^。！？]{0,3}管子|挂管子|施工队|pipeline works|(半夜|凌晨)[^。！？]{0,6}(挖|施工|切割)", 0.7),
        (r"(管子|管道|明管)[^。！？]{0,8}(明走|走向|穿过|从[^。！？]{0,6}(墙|顶))|挪到|扩容|新建调压站|新增[^。！？]{0,3}调压站", 0.55),
    ],
    Category.billing: [
        (r"燃气费|气费|气价|阶梯|燃气价格|天然气价格|收费标准|价格听证", 0.75),
        (r"乱收费|多收|收费不合理|重复收费|强制收费|退费|退款|滞纳金|押金|保证金|违约金|赔偿", 0.85),
        (r"(收|交|付|花|要价|退|罚|扣|赔|出)[^。！？，]{0,8}" + _MONEY, 0.8),
        (_MONEY + r"[^。！？]{0,4}(费|钱)", 0.75),
        (r"(收费|付费|出钱|掏钱|费用|材料费|设计费|服务费|维护费|年检费|改管费|移表费)", 0.6),
        (r"(表|计量|走字|用气量)[^。！？]{0,8}(不准|走得快|跑得快|虚高|偏快|多走|仍然走字|对不上)", 0.9),
        (r"(钱|费)[^。！？]{0,10}(没到账|未到账|不到账|交到别人|没收到|对不上)|重复缴费", 0.85),
        (r"(欠费|余额|账单|估抄|抄表|预付费|ic卡|气卡|买气|购气|充值)", 0.45),
        (r"(涨价|调价|价格上调|年度阶梯)", 0.7),
        (r"(缴费|交费)", 0.3),
        (r"发票|收据|小票|票据", 0.6),
        (r"(强制|非要|必须|硬要|要我|让我|逼着)[^。！？]{0,6}(买|购买|换新|装一个)|捆绑销售|卖货|推荐的[^。！？]{0,6}(牌子|产品)", 0.7),
    ],
    Category.outage: [
        (r"停气|断气|没气|没有气|冇气|无气|没了气|气没了|又没了|不供气|停止供气|暂停供气|停供|供气中断", 0.85),
        (r"(气压|压力)(低|小|不足|不够|太低|上不去)|降压|火(太|特别|很)?小|火苗(太|很)?小|限气|限量|限购|供气不足|用气紧张", 0.8),
        (r"(恢复供气|复气|计划停气|停气公告|停气通知|供气保障|保供|温暖过冬)", 0.65),
        (r"(隔三差五|经常|总是|动不动)[^。！？]{0,4}停", 0.8),
        (r"打不着火|点不着火|做不了饭|没法做饭|不能做饭|洗不了澡|暖气不热", 0.45),
    ],
    Category.safety: [
        (r"泄漏|泄露|漏气|跑气|外泄|嘶嘶|漏了|漏点|燃气味|煤气味|天然气味|异味|(闻到|有)[^。！？]{0,6}(味|味道)", 0.9),
        (r"中毒|一氧化碳", 0.9),
        (r"爆炸|爆燃|闪爆|起火|着火|火灾|燃烧", 0.85),
        (r"(安全)?隐患|危险|不安全|吓人|后怕|吓死|吓醒|不堪设想", 0.45),
        (r"安全专项|安全整治|安全事故|报警器(突然)?响|人员伤亡|疏散", 0.6),
        (r"排放气味|气味", 0.5),
        (r"劣质[^。！？]{0,6}(软管|胶管|管|阀)|(软管|胶管)[^。！？]{0,8}(超期|老化|过期|用了[^。！？]{0,3}年)|差点(就)?出事|险些", 0.7),
        (r"(没有|没|未设|不设)[^。！？]{0,3}(围挡|警示灯|警示标志|护栏)|smells? of gas|gas leak", 0.75),
        (r"(管道|管子|立管|井盖|阀门井)[^。！？]{0,10}(裸露|压|丢|敞|变形|封住|包进|晃|钻)|(管道|管线|管子)[^。！？]{0,8}(违建|搭建|盖了|盖起|盖房)|私自(改|包|封|接)", 0.8),
    ],
    Category.maintenance: [
        (r"维修|报修|修理|抢修|检修|修好|修复|来修|补焊|维修班组", 0.6),
        (r"(表|阀|阀门|管道|管子|灶|灶具|壁挂炉|热水器|接口|调压箱|调压柜|显示屏|立管|卡子)[^。！？]{0,6}"
         r"(坏|损坏|故障|生锈|锈|破裂|裂|关不上|打不开|拧不动|失灵|不亮|掉了|老化|变形)", 0.85),
        (r"(换表|换阀门|更换[^。！？]{0,4}(表|阀|管))|激活燃气表|重新激活", 0.65),
        (r"(修|来人|维修)[^。！？]{0,8}(没人来|不来|不管|拖|一直没来)", 0.7),
        (r"(铸铁管|老管道|管道老化|锈)", 0.45),
    ],
    Category.service: [
        (r"态度(差|恶劣|不好|蛮横|太差|极差|很好|好)|服务(差|太差|极差|不好|周到|到位|热情)", 0.9),
        (r"推诿|踢皮球|扯皮|互相推|推来推去|敷衍|不作为|不理睬|爱答不理|投诉无门|不让投诉|没人管|无人管|不管不问|"
         r"不了了之|说不清|不归[^。！？]{0,4}管|忘了|没人联系|没人理|无人问津|不解释|没人回复", 0.85),
        (r"(电话|热线|客服)[^。！？]{0,10}(打不通|打唔通|打不进去|没人接|无人接|占线|接不通|不接|空号|转人工|转了|语音菜单|机器人|查不到)|"
         r"找不到人问|没人解释|也不解释", 0.9),
        # dismissed or passed on: 说正常 / 说不归我们管 / 燃气公司说找施工队
        (r"(燃气公司|港华|公司|师傅|客服|他们)[^。！？]{0,8}(说|称)[^。！？]{0,6}(正常|符合标准|没问题|没事|管不了|"
         r"用户之间的事|用户自己的事|找施工队|找厂家|找物业|找开发商|要邻居配合)|(协调|反映|找)了[^。！？]{0,3}次[^。！？]{0,6}没有结果", 0.75),
        (r"素质|不戴鞋套|没扫|蹭了|弄脏|(晚上|夜里)[^。！？]{0,6}(点|点多)[^。！？]{0,3}(来|上门)|(到底|该)(找谁|谁来)", 0.55),
        (r"(营业厅|柜台|窗口|服务网点|营业网点|网点)[^。！？]{0,15}(排队|叫号|秩序|搬|只有一个|态度|增设|太远|不方便|周末|午休|关门|开门|开放|下放|上门办理)|"
         r"(只有|就)一个[^。！？]{0,4}(营业厅|网点)|(设|增设)[^。！？]{0,3}(充值点|网点)", 0.75),
        (r"(呵斥|骂|凶|吼|不耐烦|不穿鞋套|侵犯隐私|拍照)", 0.7),
        (r"(客服|customer service|小哥|小姐姐|工作人员|窗口人员|员工|客户经理|闺女)[^。！？]{0,12}"
         r"(温柔|耐心|热情|负责|专业|不烦|nice|好评|用心|好)", 0.8),
        (r"感谢信|锦旗|服务窗口|满意率|首问负责|上门代办|上门服务|银发|回访|满不满意|一线员工|坚守岗位", 0.75),
        (r"(约了|说好|答应|承诺)[^。！？]{0,12}(没来|没人来|没到|等到)|等了[^。！？]{0,8}(没人|没来)", 0.8),
        (r"(投诉|客服|工作人员|营业厅|热线)", 0.3),
        (r"耐心|细心|贴心|叮嘱|嘱咐|讲了[^。！？]{0,6}(注意事项|安全知识)|讲[^。！？]{0,4}(注意事项|安全知识)|脸色|红包|迟到|抽烟|hung up", 0.7),
        (r"(报修|反映|预约|打电话|打了)[^。！？]{0,14}(没人来|没来|没人联系|从来没人|没有回音|杳无音信|没有下文)|就是没人来|来回(踢|推)|两边[^。！？]{0,3}推", 0.8),
    ],
    Category.online: [
        (r"公众号|小程序|网上营业厅|掌上营业厅|网厅|app|网站|官网|线上|在线|微信缴费|支付宝|网上缴费|微信支付|网上报装", 0.7),
        (r"(缴费|充值|支付|交费|上传)[^。！？]{0,8}(失败|不成功|没到账|未到账|不到账|扣款|显示异常|系统繁忙|交不上)", 0.85),
        (r"(系统|页面|公众号|app|小程序|网站|官网)[^。！？]{0,6}(故障|崩|打不开|进不去|报错|维护|卡|闪退|很慢|不更新|没接入)", 0.85),
        (r"(短信|链接)[^。！？]{0,10}(实名认证|点击)", 0.5),
    ],
    Category.inspection: [
        (r"安检|入户检查|安全检查|上门检查|入户服务|复检", 0.85),
        (r"(检查|安检)(人员|员)", 0.6),
    ],
    Category.scam: [
        (r"冒充|假冒|冒用|仿冒|假扮|冒名|山寨|假(的)?(燃气)?(安检员|工作人员|员工)|自称[^。！？]{0,8}(燃气|港华|安检)", 0.9),
        (r"诈骗|骗子|骗局|被骗|上当|骗了", 0.8),
        (r"(以|打着)[^。！？]{0,10}(名义|为名|旗号)|不是[^。！？]{0,6}(他们|我们|公司|燃气公司)派的|"
         r"(根本)?没有(这回事|这个活动|安排)|从不发链接|个人收款|"
         r"不是[^。！？]{0,4}(燃气公司|港华)的?(人|员工|工作人员)|(港华|燃气公司)[^。！？]{0,4}(说|称)?[^。！？]{0,3}(没派|没有派|不派)", 0.85),
        (r"推销[^。！？]{0,8}(报警器|软管|胶管|自闭阀|灶具|管子|保险)", 0.6),
        (r"(陌生|可疑|钓鱼|奇怪的)(链接|二维码|网址)|(扫码|链接|二维码)[^。！？]{0,8}(缴费|退费|补贴|充值|八折)|八折充值", 0.8),
        (r"(核实|确认|打[^。！？]{0,6}电话)[^。！？]{0,12}(没有|不是|根本没|从未|没有这)", 0.6),
    ],
}

VETOES: dict[Category, list[str]] = {
    Category.safety: [
        r"打不着火|点不着火|打着火|点着火|熄火保护",
        NEGATED_SMELL_OR_LEAK,
        # hazards of a building or a developer's works, not of the gas network
        r"(房屋|楼盘|开发商|物业|护栏|电梯|消防通道|违建|加油站|脚手架|架子)[^。！？]{0,12}(安全隐患|隐患|危险|不安全)",
    ],
    Category.construction: [r"入户工程|瓶改管|智慧化改造|数字孪生|第三方施工|(施工机械|挖掘机|工地|施工单位)[^。！？]{0,10}(把)?[^。！？]{0,6}(挖破|挖断|挖坏|挖漏)"],
    Category.service: [
        # another party's conduct is not the utility's service (developer, property manager, regulator)
        r"(开发商|物业|规划局|燃气办|物价局|房管局|政府|社区|街道办|管理办公室|厂家)[^。！？]{0,15}"
        r"(态度|推诿|敷衍|不作为|投诉无门|没人管|无人管|不管不问|不了了之|搪塞|糊弄)",
        r"投诉无门|有诉无处投",
    ],
    Category.outage: [
        r"(不|拒绝|否则|欠费|未缴|不整改就|不签就)[^。！？，]{0,8}(停气|停止供气|停止供应|停供)",
        r"(快|随时|可能|马上就|快要)[^。！？，]{0,3}没气",
        r"停气维修|要停气",
    ],
    Category.maintenance: [
        r"(抢修|维修|报修)(电话|热线|岗位|号码)|(抢修|维修)[^。！？]{0,3}(费|员让)",
        r"(技能比武|技能大赛|技能竞赛|应急演练)[^。！？]*",  # contests and drills are not repairs
        r"(路面|道路|水泥路|草坪|绿地)[^。！？]{0,6}(修复|修好)|修复路面|完工后修复|便于检修",  # reinstatement is works
    ],
    Category.connection: [r"首次点火|点火前|[、，]报装[、，]|开户[^。！？]{0,4}(已经|时登记)"],
    Category.billing: [r"不强制购买"],
    Category.scam: [r"不强制购买|防骗|(持证上岗|可扫码验证)"],
}

_COMPILED = {
    category: [(re.compile(pattern), weight) for pattern, weight in rules]
    for category, rules in RULES.items()
}
_VETOES = {category: re.compile("|".join(patterns)) for category, patterns in VETOES.items()}
_NEGATED = re.compile(NEGATED_SMELL_OR_LEAK)


def _mask(match: re.Match[str]) -> str:
    return "□" * len(match.group(0))


def model_input(text: str, words: Sequence[str]) -> tuple[str, Sequence[str]]:
    """What the trained model reads: the text with negated evidence masked, and the words that
    are still in it. Training and inference both go through here."""
    masked = _NEGATED.sub(_mask, text)
    if masked == text:
        return text, words
    return masked, [w for w in words if w in masked]

GAS_CONTEXT = re.compile(
    r"燃气|天然气|煤气|液化气|港华|燃气表|气表|壁挂炉|燃气灶|通气|停气|漏气|管道气|没气|冇气|气费|气价|\bgas\b"
)


@dataclass(frozen=True, slots=True)
class _Score:
    confidence: float
    evidence: str


def _score(text: str, rules: list[tuple[re.Pattern[str], float]]) -> _Score | None:
    miss, evidence, best = 1.0, "", 0.0
    for pattern, weight in rules:
        match = pattern.search(text)
        if match:
            miss *= 1.0 - weight
            if weight > best:
                evidence, best = match.group(0), weight
    return None if miss == 1.0 else _Score(1.0 - miss, evidence)


def _rule_scores(text: str) -> dict[Category, _Score]:
    scores = {}
    for category, rules in _COMPILED.items():
        veto = _VETOES.get(category)
        masked = veto.sub(_mask, text) if veto else text
        score = _score(masked, rules)
        if score:
            scores[category] = score
    return scores


def rule_confidences(text: str) -> dict[str, float]:
    """Each category's rule confidence for a normalised text (before any threshold)."""
    return {category.value: score.confidence for category, score in _rule_scores(text).items()}


def categorize(text: str, words: Sequence[str] = (), model: CategoryModel | None = None,
               gas_context: bool | None = None) -> list[CategoryHit]:
    """Categories of a normalised text, strongest first; empty when it is not about gas.

    With a trained `model`, rules and model are combined as nlp/category_model.py describes;
    without one, the rules decide alone at `MIN_CONFIDENCE`.
    """
    if gas_context is None:
        gas_context = bool(GAS_CONTEXT.search(text))
    if not gas_context:
        return []
    rules = _rule_scores(text)
    confidences: dict[Category, tuple[float, str]] = {}
    if model is None:
        for category, score in rules.items():
            if score.confidence >= MIN_CONFIDENCE:
                confidences[category] = (score.confidence, score.evidence)
    else:
        probabilities, evidence = model.probabilities(*model_input(text, words))
        for j, code in enumerate(model.codes):
            category = Category(code)
            rule = rules.get(category)
            weight = float(model.rule_weights[j])
            combined = weight * (rule.confidence if rule else 0.0) + (1 - weight) * float(probabilities[j])
            if combined >= model.thresholds[j]:
                confidences[category] = (combined, rule.evidence if rule else evidence[j].strip("□"))
    if Category.scam in confidences:  # money asked by impersonators is the scam, not our billing
        confidences.pop(Category.billing, None)
    hits = [CategoryHit(code=c, confidence=round(min(1.0, conf), 3), evidence=ev)
            for c, (conf, ev) in confidences.items()]
    if not hits:
        match = GAS_CONTEXT.search(text)
        hits.append(CategoryHit(code=Category.other, confidence=0.5, evidence=match.group(0) if match else ""))
    hits.sort(key=lambda hit: hit.confidence, reverse=True)
    return hits
