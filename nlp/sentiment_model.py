"""Three-class sentiment (negative / neutral / positive) for social-media mentions.

The linear heads need only numpy; the encoder head runs a fine-tuned BERT with ONNX Runtime
(nlp/encoder.py). `nlp/sentiment_train.py` fits both and writes one compressed `.npz` file plus
the encoder's graph and tokenizer next to it, which this module loads.

Input contract (the analysis stage does this once per mention and shares the words):
    text = normalize(clean_text(raw)); words = segmenter().words(text)
with the company's own names removed first (`nlp.sentiment.own_name_remover`, in training too).

Model: sparse binary features (jieba words, negated words, character 1–3-grams, Weibo
[emoticons] and a few lexicon / punctuation indicator tokens) are L2-normalised and scored by
several linear "heads" (a multinomial logistic regression and a one-vs-rest NB-weighted logistic
regression over fine-grained training classes). Each head's softmax is collapsed to the three
labels and the heads are averaged; for the texts they are least sure of, a head on a fine-tuned
sentence encoder joins the average (see `SentimentModel`). A temperature plus per-label bias
fitted on held-out training data calibrates the result. Features are looked up in a compact
vocabulary (a dict), so nothing depends on Python's randomised `hash()`.

`score = P(positive) + P(neutral) / 2`: 0 is most negative, 1 most positive, neutral texts sit
near 0.5. A binary reading "positive when P(positive) > P(negative)" is exactly score > 0.5.
The trainer labels by a neutral band on the score when that beats the most probable class in
held-out three-class macro-F1 (v2: band 0.39–0.59), else by the most probable class; either
way `neutral_band` holds the 5th–95th percentile of held-out neutral predictions.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Iterable, Sequence
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

# Marks every non-n-gram feature. Folding turns all whitespace into spaces, so no char n-gram
# contains a tab and the two kinds of feature can never collide.
TOKEN = "\t"

_EMOTICON = re.compile(r"\[([^\[\]\s]{1,6})\]")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_REPEAT = re.compile(r"(.)\1{2,}")


def _fold(text: str) -> str:
    """One form for what varies without changing the sentiment: spacing, numbers, 啊啊啊啊."""
    text = _SPACE.sub(" ", text)
    text = _DIGITS.sub("0", text)
    return _REPEAT.sub(r"\1\1", text)


def _clip(text: str, words: Sequence[str]) -> tuple[str, list[str]]:
    return (text[:MAX_CHARS] if text else ""), (list(words[:MAX_WORDS]) if words else [])


def char_grams(folded: str) -> list[str]:
    n = len(folded)
    return [folded[i:i + k] for k in range(1, MAX_NGRAM + 1) for i in range(n - k + 1)]


def gram_key(gram: str) -> int:
    """The integer a char n-gram (n <= 3) is looked up by at inference: 21 bits per character."""
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key


def gram_keys(folded: str) -> np.ndarray:
    """`gram_key` of every char n-gram of `folded`, vectorised (unigrams < 2^21 <= bigrams < 2^42
    <= trigrams, so lengths never collide)."""
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    bigrams = (codes[:-1] << 21) | codes[1:]
    return np.concatenate((codes, bigrams, (bigrams[:-1] << 21) | codes[2:]))


def _count_tokens(name: str, count: int) -> list[str]:
    """Cumulative count indicators (x1, x2, x3+) so a linear model sees "how much"."""
    return [f"{TOKEN}#{name}{k}" for k in (1, 2, 3) if count >= k]


def _lexicon_tokens(text: str, short_hits: Iterable[str]) -> list[str]:
    """Lexicon indicators from the short terms found among the char n-grams, plus long terms."""
    hits = set(short_hits)
    hits.update(t for t in _LONG_TERMS if t in text)
    counts: dict[str, int] = {}
    for term in hits:
        cat = _LEXICON[term]
        if cat in ("pos", "neg") and _is_negated(text, term):
            cat = "negpos" if cat == "pos" else "negneg"  # 不满意 is a complaint, 不差 is not
        counts[cat] = counts.get(cat, 0) + 1
    phrases = sum(phrase in text for phrase in COMPLAINT_PHRASES)
    if phrases:
        counts["phrase"] = phrases
    out = []
    for cat, n in counts.items():
        out.extend(_count_tokens(cat, n))
    if counts.get("gas") and counts.get("intent"):
        out.append(TOKEN + "#gas+intent")  # a domain problem plus a call for action: a complaint
    return out


def _is_negated(text: str, term: str) -> bool:
    """A negator within the four characters before the first occurrence of `term`."""
    pos = text.find(term)
    return pos > 0 and not _NEGATOR_CHARS.isdisjoint(text[max(0, pos - 4):pos])


def _emoticon_tokens(text: str) -> list[str]:
    if "[" not in text:
        return []
    names = _EMOTICON.findall(text)
    neg = sum(name in NEGATIVE_EMOTICONS for name in names)
    pos = sum(name in POSITIVE_EMOTICONS for name in names)
    out = [TOKEN + "e" + name for name in names]
    return out + _count_tokens("eneg", neg) + _count_tokens("epos", pos)


def _punctuation_tokens(text: str) -> list[str]:
    out = _count_tokens("excl", text.count("!")) if "!" in text else []
    if "?" in text:
        out += _count_tokens("quest", text.count("?"))
    if "【" in text:
        out.append(TOKEN + "#headline")  # news-style 【标题】 posts are mostly reports
    out.append(f"{TOKEN}#len{min(len(text).bit_length(), 11)}")
    return out


def _word_tokens(words: Sequence[str]) -> list[str]:
    out = [TOKEN + "w" + w for w in words]
    if NEGATORS.isdisjoint(words):
        return out
    # Word order is gone after bag-of-words, so mark the two words after a negator explicitly.
    for i, w in enumerate(words):
        if w in NEGATORS:
            out.extend(TOKEN + "n" + x for x in words[i + 1:i + 3])
    return out


def token_features(text: str, words: Sequence[str], short_hits: Iterable[str]) -> list[str]:
    """Every feature but the char n-grams (they are looked up by integer key at inference)."""
    return (_word_tokens(words) + _lexicon_tokens(text, short_hits) + _emoticon_tokens(text)
            + _punctuation_tokens(text))


def extract_features(text: str, words: Sequence[str]) -> list[str]:
    """Feature strings of one text; duplicates are allowed (features are binary downstream).

    The trainer uses this; `SentimentModel` computes the same set faster (char n-grams as
    integer keys), and a test checks that the two agree. Char n-grams are bare strings of the
    folded text; every other feature starts with TOKEN plus a namespace letter: `w` word,
    `n` negated word, `e` emoticon, `#` indicator.
    """
    text, words = _clip(text, words)
    grams = char_grams(_fold(text))
    return grams + token_features(text, words, _SHORT_TERMS.intersection(grams))


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
_TERM_BY_KEY = {gram_key(t): t for t in _SHORT_TERMS}
_SHORT_TERM_KEYS = frozenset(_TERM_BY_KEY)


def _distinct_sorted(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)  # sorted queries also make the binary searches cache-friendly
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions in `sorted_keys` of those `keys` it contains (vectorised binary search)."""
    if not len(sorted_keys) or not len(keys):
        return np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(sorted_keys, keys)
    pos[pos == len(sorted_keys)] = 0
    return pos[sorted_keys[pos] == keys]


def split_vocab(vocab: dict[str, int]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """(token features → row, sorted char n-gram keys, their rows) from a string vocabulary."""
    tokens = {f: row for f, row in vocab.items() if f.startswith(TOKEN)}
    grams = [(gram_key(f), row) for f, row in vocab.items() if not f.startswith(TOKEN)]
    keys = np.array([k for k, _ in grams], dtype=np.int64)
    rows = np.array([r for _, r in grams], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    return tokens, keys[order], rows[order]


@dataclass
class SentimentModel:
    """Linear heads over shared sparse features, collapsed to three calibrated labels.

    vocab: string features (the trainer's view); split on construction into `tokens` (dict)
    and char n-gram keys (sorted int64 array) with their weight rows.
    weights: (n_features, n_columns) float32 (float16 on disk), a column per class of each head;
    heads: (start, stop) column ranges, each softmaxed on its own;
    collapse: per column NEG / NEU / POS, or SPLIT for a class of no fixed valence (surprise),
    whose probability is shared between negative and positive.
    encoder_weights / encoder_bias: optional third head, (DIMENSIONS, k) and (k,), on the
    fine-tuned sentence encoder's output (nlp/encoder.py; its files sit next to the model file,
    see `encoder_files`), in the classes of the first head. It is consulted only when the linear
    heads are unsure (their top probability below `encoder_gate`), and then takes
    `encoder_share` of the average: the encoder costs about twenty linear predictions, so the
    gate keeps throughput while reaching the texts it would change.
    """

    name: str
    vocab: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray
    heads: list[tuple[int, int]]
    collapse: list[int]
    temperature: float = 1.0
    label_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    band: tuple[float, float] | None = None  # None: label by the most probable class
    meta: dict = field(default_factory=dict)
    encoder_weights: np.ndarray | None = None
    encoder_bias: np.ndarray | None = None
    encoder_share: float = 0.0
    encoder_gate: float = 0.0

    def __post_init__(self) -> None:
        self.tokens, self.gram_keys, self.gram_rows = split_vocab(self.vocab)
        self.vocab = {}  # the split form is all that is needed; keep one copy in memory
        # Per column, its share of each label: surprise-like classes give half to each side.
        shares = {NEG: (1.0, 0.0, 0.0), NEU: (0.0, 1.0, 0.0), POS: (0.0, 0.0, 1.0),
                  SPLIT: (0.5, 0.0, 0.5)}
        self._shares = [[shares[c][k] for c in self.collapse] for k in range(3)]
        self._encoder = None

    @property
    def n_features(self) -> int:
        return len(self.tokens) + len(self.gram_keys)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        path = Path(path) if path is not None else DEFAULT_MODEL
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported sentiment model format {meta.get('format')}")
            tokens = bytes(data["tokens"]).decode("utf-8").split("\n")
            keys = data["gram_keys"].astype(np.int64)
            # float16 on disk halves the file; float32 in memory sums several times faster
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
            head = {k: data[k].astype(np.float32) for k in ("encoder_weights", "encoder_bias")
                    if k in data.files}
        if len(tokens) + len(keys) != weights.shape[0]:
            raise ValueError(f"{path}: vocabulary and weights disagree")
        model = cls(name=meta["name"], vocab={}, weights=weights, bias=bias,
                    heads=[tuple(h) for h in meta["heads"]], collapse=list(meta["collapse"]),
                    temperature=float(meta["temperature"]), label_bias=tuple(meta["label_bias"]),
                    band=tuple(meta["band"]) if meta.get("band") else None, meta=meta,
                    encoder_share=float(meta.get("encoder_share", 0.0)),
                    encoder_gate=float(meta.get("encoder_gate", 0.0)), **head)
        if model.encoder_weights is not None:
            # Here, so that a missing encoder fails at start-up, not in the middle of a stream.
            from nlp.encoder import Encoder

            model.attach_encoder(Encoder(*encoder_files(path)))
        model.tokens = {t: i for i, t in enumerate(tokens)}
        model.gram_keys = keys
        model.gram_rows = np.arange(len(tokens), len(tokens) + len(keys), dtype=np.int64)
        return model

    def save(self, path: Path) -> None:
        """Write the single compressed file `load` reads (the trainer calls this)."""
        tokens = list(self.tokens)
        if any("\n" in t for t in tokens):
            raise ValueError("token features must not contain newlines")
        order = np.concatenate((np.array([self.tokens[t] for t in tokens], dtype=np.int64),
                                self.gram_rows))
        meta = dict(self.meta)
        meta.update(
            format=FORMAT_VERSION, name=self.name, heads=[list(h) for h in self.heads],
            collapse=list(self.collapse), temperature=self.temperature,
            label_bias=list(self.label_bias), band=list(self.band) if self.band else None,
            encoder_share=self.encoder_share, encoder_gate=self.encoder_gate,
        )
        head = {} if self.encoder_weights is None else {
            "encoder_weights": self.encoder_weights.astype(np.float16),
            "encoder_bias": self.encoder_bias.astype(np.float32)}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                tokens=np.frombuffer("\n".join(tokens).encode("utf-8"), dtype=np.uint8),
                gram_keys=self.gram_keys,
                weights=self.weights[order].astype(np.float16),
                bias=self.bias.astype(np.float32),
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                **head,
            )

    def attach_encoder(self, encoder) -> None:
        self._encoder = encoder

    # -- scoring ---------------------------------------------------------------------------
    def feature_rows(self, text: str, words: Sequence[str]) -> np.ndarray:
        """Weight rows of the features of one text: the same set `extract_features` names."""
        text, words = _clip(text, words)
        keys = _distinct_sorted(gram_keys(_fold(text)))
        grams = self.gram_rows[_lookup(self.gram_keys, keys)]
        short_hits = [_TERM_BY_KEY[k] for k in _SHORT_TERM_KEYS.intersection(keys.tolist())]
        found = set(map(self.tokens.get, token_features(text, words, short_hits)))
        found.discard(None)
        return np.concatenate((grams, np.fromiter(found, dtype=np.int64, count=len(found))))

    def logits(self, text: str, words: Sequence[str]) -> np.ndarray:
        """Raw column scores of every head for one text (before the per-head softmax)."""
        rows = self.feature_rows(text, words)
        if not len(rows):
            return self.bias.copy()
        return self.weights.take(rows, axis=0).sum(axis=0) / math.sqrt(len(rows)) + self.bias

    def uncalibrated_proba(self, logits: Sequence[float]) -> list[float]:
        """Average over heads of each head's softmax, collapsed to the three labels."""
        out = [0.0, 0.0, 0.0]
        for start, stop in self.heads:
            segment = logits[start:stop]
            top = max(segment)
            exps = [math.exp(v - top) for v in segment]
            scale = 1.0 / (sum(exps) * len(self.heads))
            for k in range(3):
                out[k] += sum(map(operator.mul, exps, self._shares[k][start:stop])) * scale
        return out

    def encoder_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Three-label probabilities of the encoder head for rows of embeddings."""
        k = len(self.encoder_bias)
        z = embeddings @ self.encoder_weights + self.encoder_bias
        z = np.exp(z - z.max(axis=1, keepdims=True))
        z /= z.sum(axis=1, keepdims=True)
        shares = np.array(self._shares)[:, :k].T  # the first head's classes
        return z @ shares

    def consults_encoder(self, proba: Sequence[float]) -> bool:
        return self.encoder_weights is not None and max(proba) < self.encoder_gate

    def blend(self, proba: Sequence[float], encoder: Sequence[float]) -> list[float]:
        s = self.encoder_share
        return [(1.0 - s) * a + s * b for a, b in zip(proba, encoder, strict=True)]

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
        proba = self.uncalibrated_proba(self.logits(text, words).tolist())
        if self.consults_encoder(proba):
            encoded = self.encoder_proba(self._encoder.embed([text[:MAX_CHARS]]))[0]
            proba = self.blend(proba, encoded.tolist())
        return dict(zip(LABELS, self.calibrate(proba), strict=True))

    @property
    def neutral_band(self) -> tuple[float, float]:
        """Score interval of texts labelled neutral (the band itself, or the 5th–95th
        percentile of held-out neutral predictions recorded by the trainer)."""
        if self.band is not None:
            return self.band
        low, high = self.meta.get("neutral_band", (0.35, 0.65))
        return float(low), float(high)

    def label_for(self, proba: dict[str, float], score: float) -> str:
        if self.band is None:
            return max(LABELS, key=proba.__getitem__)
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
        return self.label_for(proba, score), score


def encoder_files(model_path: Path) -> tuple[Path, Path]:
    """The encoder graph and tokenizer that belong to a model file."""
    stem = Path(model_path).stem
    return (Path(model_path).with_name(f"{stem}-encoder.onnx"),
            Path(model_path).with_name(f"{stem}-tokenizer.json"))


def score_from_proba(proba: dict[str, float]) -> float:
    score = proba["positive"] + 0.5 * proba["neutral"]
    return min(1.0, max(0.0, score))
