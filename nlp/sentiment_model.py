"""Three-class sentiment (negative / neutral / positive) for social-media mentions.

Runtime needs only the standard library and numpy; `nlp/sentiment_train.py` fits the weights
with scikit-learn and writes one compressed `.npz` file that this module loads.

Input contract (the analysis stage does this once per mention and shares the words):
    text = normalize(clean_text(raw)); words = segmenter().words(text)

Model: sparse binary features (jieba words, negated words, character 1–3-grams, Weibo
[emoticons] and a few lexicon / punctuation indicator tokens) are L2-normalised and scored by
several linear "heads" (a multinomial logistic regression and a one-vs-rest NB-weighted logistic
regression over fine-grained training classes). Each head's softmax is collapsed to the three
labels, the heads are averaged, and a temperature plus per-label bias fitted on held-out
training data calibrates the result. Features are looked up in a compact vocabulary (a dict), so
nothing depends on Python's randomised `hash()`.

`score = P(positive) + P(neutral) / 2`: 0 is most negative, 1 most positive, neutral texts sit
near 0.5. The label is read off the score with the neutral band stored in the model file
(`score < band_low` → negative, `score > band_high` → positive), so label and score never
disagree, and a binary reading "positive when P(positive) > P(negative)" is exactly score > 0.5.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LABELS = ("negative", "neutral", "positive")
MODEL_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODEL_DIR / "sentiment-v1.npz"
FORMAT_VERSION = 1

# Long articles are judged on their head: it is where headlines and complaints state their case,
# and it bounds the cost per text.
MAX_CHARS = 1500
MAX_WORDS = 600
MAX_NGRAM = 3

# Collapse codes for the training classes of each head (see `collapse_code`).
NEG, NEU, POS, SPLIT = 0, 1, 2, 3

# ---------------------------------------------------------------------------------------------
# Lexicons. They do not replace learned word weights: each category becomes one indicator token,
# so a weight learned from general negative words (say on Weibo) carries over to rare domain terms
# such as 停气 that the training corpora hardly contain.
# ---------------------------------------------------------------------------------------------
GAS_PROBLEM_TERMS = (
    "停气", "没气", "断气", "断供", "限气", "降压", "气压低", "气压不足", "气不足", "火小", "打不着",
    "漏气", "泄漏", "燃气味", "煤气味", "爆炸", "爆燃", "闪爆", "中毒", "着火", "起火",
    "乱收费", "多收费", "收费高", "气价高", "涨价", "天价", "估抄", "计量不准", "表不准", "多扣",
    "乱扣", "霸王条款", "强制", "强行", "垄断", "捆绑", "开口费", "初装费", "退费难",
    "推诿", "扯皮", "不作为", "敷衍", "刁难", "拖延", "踢皮球", "没人管", "无人管", "不管不问",
    "没人接", "打不通", "不回复", "没回复", "态度差", "态度恶劣", "冒充", "诈骗", "安全隐患",
)
COMPLAINT_INTENT_TERMS = (
    "投诉", "求助", "曝光", "维权", "举报", "反映", "恳请", "请求", "呼吁", "申诉", "讨说法",
    "有关部门", "相关部门", "请领导", "尊敬的领导", "书记", "市长", "12345", "热线", "留言",
    "至今", "迟迟", "多次", "一直没", "何时", "凭什么", "为什么", "为何", "怎么办", "能否",
    "解决", "督促", "整改", "严查", "查处",
)
COMPLAINT_PHRASES = (
    "投诉无门", "希望有关部门", "希望相关部门", "恳请领导", "请有关部门", "请相关部门",
    "给个说法", "讨个说法", "没有人管", "无人问津", "石沉大海", "一拖再拖", "不了了之",
)
NEGATIVE_TERMS = (
    "垃圾", "恶心", "失望", "生气", "愤怒", "无语", "坑人", "太坑", "差劲", "太差", "很差",
    "骗子", "气死", "郁闷", "难受", "崩溃", "可恶", "无耻", "糟糕", "离谱", "过分", "吐槽",
    "痛苦", "害怕", "担心", "焦虑", "伤心", "难过", "委屈", "心累", "烦死", "受不了", "倒霉",
    "麻烦", "折腾", "坑爹", "黑心", "欺负", "忽悠", "可怕", "危险", "噩梦", "后悔",
)
POSITIVE_TERMS = (
    "感谢", "谢谢", "点赞", "满意", "及时", "辛苦", "耐心", "专业", "热情", "负责", "贴心",
    "高效", "给力", "好评", "优秀", "开心", "喜欢", "很棒", "真棒", "温暖", "暖心", "周到",
    "表扬", "锦旗", "称赞", "赞扬", "放心", "省心", "方便", "快捷", "认真", "细心", "靠谱",
    "幸福", "高兴", "感动", "美好", "完美", "优质", "舒服", "顺利", "好样的", "为民",
)
NOTICE_TERMS = (
    "通知", "公告", "提示", "温馨提示", "敬请", "谅解", "届时", "将于", "预计", "计划", "期间",
    "范围", "安排", "请各位", "注意事项", "办理", "营业时间", "咨询电话", "即日起", "特此",
)
NEGATORS = frozenset((
    "不", "没", "没有", "别", "未", "无", "非", "不是", "并不", "不会", "不能", "毫无", "从不",
    "绝不", "从未", "并非", "不太", "不够", "不再", "不要", "一点都不", "一点也不", "都不",
))
_NEGATOR_CHARS = frozenset("不没未别无非")
# Weibo renders emoticons as [name]; clean_text maps sentiment emoji to the same markers.
NEGATIVE_EMOTICONS = frozenset((
    "怒", "怒骂", "哼", "泪", "眼泪", "大哭", "悲伤", "伤心", "失望", "汗", "白眼", "抓狂", "衰",
    "鄙视", "生病", "可怜", "委屈", "吐", "晕", "惊恐", "害怕", "弱", "囧", "泪流满面", "拜拜",
))
POSITIVE_EMOTICONS = frozenset((
    "赞", "哈哈", "嘻嘻", "微笑", "笑cry", "心", "爱你", "鼓掌", "感谢", "鲜花", "good", "ok",
    "耶", "偷笑", "花心", "太开心", "亲亲", "可爱", "给力", "威武", "酷", "馋嘴", "礼物", "好棒",
))

_LEXICON: dict[str, str] = {}
for _cat, _terms in (
    ("neg", NEGATIVE_TERMS), ("pos", POSITIVE_TERMS), ("notice", NOTICE_TERMS),
    ("intent", COMPLAINT_INTENT_TERMS), ("gas", GAS_PROBLEM_TERMS),
):
    for _term in _terms:
        _LEXICON[_term] = _cat  # later categories win: domain meaning beats the general one
# Short terms are found among the character n-grams already computed (one C-level set
# intersection); the few longer ones are searched in the text.
_SHORT_TERMS = frozenset(t for t in _LEXICON if len(t) <= MAX_NGRAM)
_LONG_TERMS = tuple(t for t in _LEXICON if len(t) > MAX_NGRAM)

_EMOTICON = re.compile(r"\[([^\[\]\s]{1,6})\]")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_REPEAT = re.compile(r"(.)\1{2,}")


def _fold(text: str) -> str:
    """One form for what varies without changing the sentiment: spacing, numbers, 啊啊啊啊."""
    text = _SPACE.sub(" ", text)
    text = _DIGITS.sub("0", text)
    return _REPEAT.sub(r"\1\1", text)


def _count_tokens(prefix: str, count: int) -> list[str]:
    """Cumulative count indicators (#x1, #x2, #x3+) so a linear model sees "how much"."""
    return [f"{prefix}{k}" for k in (1, 2, 3) if count >= k]


def _lexicon_tokens(text: str, grams: Sequence[str]) -> list[str]:
    hits = _SHORT_TERMS.intersection(grams)
    hits.update(t for t in _LONG_TERMS if t in text)
    counts: dict[str, int] = {}
    for term in hits:
        cat = _LEXICON[term]
        if cat in ("pos", "neg") and _is_negated(text, term):
            cat = "negpos" if cat == "pos" else "negneg"  # 不满意 is a complaint, 不差 is not
        counts[cat] = counts.get(cat, 0) + 1
    for phrase in COMPLAINT_PHRASES:
        if phrase in text:
            counts["phrase"] = counts.get("phrase", 0) + 1
    out = []
    for cat, n in counts.items():
        out.extend(_count_tokens("#" + cat, n))
    if counts.get("gas") and counts.get("intent"):
        out.append("#gas+intent")  # a domain problem plus a call for action: a complaint
    return out


def _is_negated(text: str, term: str) -> bool:
    """A negator within the four characters before the first occurrence of `term`."""
    pos = text.find(term)
    return pos > 0 and not _NEGATOR_CHARS.isdisjoint(text[max(0, pos - 4):pos])


def _emoticon_tokens(text: str) -> list[str]:
    out = []
    neg = pos = 0
    for name in _EMOTICON.findall(text):
        out.append("e" + name)
        neg += name in NEGATIVE_EMOTICONS
        pos += name in POSITIVE_EMOTICONS
    return out + _count_tokens("#eneg", neg) + _count_tokens("#epos", pos)


def _punctuation_tokens(text: str) -> list[str]:
    out = _count_tokens("#excl", min(text.count("!"), 3) if "!" in text else 0)
    if "?" in text:
        out += _count_tokens("#quest", text.count("?"))
    if "【" in text:
        out.append("#headline")  # news-style 【标题】 posts are mostly reports, not opinions
    out.append("#len" + str(min(len(text).bit_length(), 11)))
    return out


def _word_tokens(words: Sequence[str]) -> list[str]:
    out = ["w" + w for w in words]
    # Word order is gone after bag-of-words, so mark the two words after a negator explicitly.
    for i, w in enumerate(words):
        if w in NEGATORS:
            out.extend("n" + x for x in words[i + 1:i + 3])
    return out


def extract_features(text: str, words: Sequence[str]) -> list[str]:
    """Feature tokens of one text; duplicates are allowed (features are binary downstream).

    Shared by training and inference so the two cannot drift. Prefixes keep the namespaces
    apart: `w` word, `n` negated word, `e` emoticon, `#` indicator; bare strings are char n-grams.
    """
    text = text[:MAX_CHARS] if text else ""
    words = list(words[:MAX_WORDS]) if words else []
    folded = _fold(text)
    n = len(folded)
    grams = [folded[i:i + k] for k in range(1, MAX_NGRAM + 1) for i in range(n - k + 1)]
    feats = grams + _word_tokens(words)
    feats += _lexicon_tokens(text, grams)
    if "[" in text:
        feats += _emoticon_tokens(text)
    feats += _punctuation_tokens(text)
    return feats


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
@dataclass
class SentimentModel:
    """Linear heads over shared sparse features, collapsed to three calibrated labels.

    weights: (n_features, n_columns) float16, one column per class of each head;
    heads: (start, stop) column ranges, each softmaxed on its own;
    collapse: per column NEG / NEU / POS, or SPLIT for a class of no fixed valence (surprise),
    whose probability is shared between negative and positive.
    """

    name: str
    vocab: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray
    heads: list[tuple[int, int]]
    collapse: list[int]
    temperature: float = 1.0
    label_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    band: tuple[float, float] = (0.4, 0.6)
    meta: dict = field(default_factory=dict)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        path = Path(path) if path is not None else DEFAULT_MODEL
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported sentiment model format {meta.get('format')}")
            keys = bytes(data["vocab"]).decode("utf-8").split("\n")
            weights = np.ascontiguousarray(data["weights"])
            bias = data["bias"].astype(np.float32)
        if len(keys) != weights.shape[0]:
            raise ValueError(f"{path}: vocabulary and weights disagree")
        return cls(
            name=meta["name"],
            vocab={key: i for i, key in enumerate(keys)},
            weights=weights,
            bias=bias,
            heads=[tuple(h) for h in meta["heads"]],
            collapse=list(meta["collapse"]),
            temperature=float(meta["temperature"]),
            label_bias=tuple(meta["label_bias"]),
            band=tuple(meta["band"]),
            meta=meta,
        )

    def save(self, path: Path) -> None:
        """Write the single compressed file `load` reads (the trainer calls this)."""
        keys = list(self.vocab)
        if any("\n" in k for k in keys):
            raise ValueError("vocabulary entries must not contain newlines")
        order = np.fromiter((self.vocab[k] for k in keys), dtype=np.int64, count=len(keys))
        meta = dict(self.meta)
        meta.update(
            format=FORMAT_VERSION, name=self.name, heads=[list(h) for h in self.heads],
            collapse=list(self.collapse), temperature=self.temperature,
            label_bias=list(self.label_bias), band=list(self.band),
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                vocab=np.frombuffer("\n".join(keys).encode("utf-8"), dtype=np.uint8),
                weights=self.weights[order].astype(np.float16),
                bias=self.bias.astype(np.float32),
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
            )

    # -- scoring ---------------------------------------------------------------------------
    def logits(self, text: str, words: Sequence[str]) -> np.ndarray:
        """Raw column scores of every head for one text (before the per-head softmax)."""
        get = self.vocab.get
        idx = {get(f) for f in extract_features(text, words)}
        idx.discard(None)
        if not idx:
            return self.bias.copy()
        rows = self.weights[np.fromiter(idx, dtype=np.intp, count=len(idx))]
        return rows.sum(axis=0, dtype=np.float32) / math.sqrt(len(idx)) + self.bias

    def uncalibrated_proba(self, logits: Sequence[float]) -> list[float]:
        """Average over heads of each head's softmax, collapsed to the three labels."""
        out = [0.0, 0.0, 0.0]
        collapse = self.collapse
        for start, stop in self.heads:
            top = max(logits[start:stop])
            exps = [math.exp(v - top) for v in logits[start:stop]]
            total = sum(exps)
            for col, e in zip(range(start, stop), exps, strict=True):
                code = collapse[col]
                if code == SPLIT:
                    out[NEG] += e / total / 2
                    out[POS] += e / total / 2
                else:
                    out[code] += e / total
        n = len(self.heads)
        return [v / n for v in out]

    def calibrate(self, proba: Sequence[float]) -> list[float]:
        """Temperature and per-label bias on log-probabilities (fitted on held-out data)."""
        scaled = [
            math.log(max(p, 1e-12)) / self.temperature + b
            for p, b in zip(proba, self.label_bias, strict=True)
        ]
        top = max(scaled)
        exps = [math.exp(v - top) for v in scaled]
        total = sum(exps)
        return [e / total for e in exps]

    def predict_proba(self, text: str, words: Sequence[str]) -> dict[str, float]:
        proba = self.calibrate(self.uncalibrated_proba(self.logits(text, words).tolist()))
        return dict(zip(LABELS, proba, strict=True))

    def label_for(self, score: float) -> str:
        low, high = self.band
        if score < low:
            return "negative"
        if score > high:
            return "positive"
        return "neutral"

    def predict(self, text: str, words: Sequence[str]) -> tuple[str, float]:
        """(label, score); score = P(positive) + P(neutral)/2 in [0, 1]."""
        proba = self.predict_proba(text, words)
        score = score_from_proba(proba)
        return self.label_for(score), score


def score_from_proba(proba: dict[str, float]) -> float:
    score = proba["positive"] + 0.5 * proba["neutral"]
    return min(1.0, max(0.0, score))
