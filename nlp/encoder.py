"""The sentiment model's sentence encoder at run time: a fine-tuned Chinese BERT in int8 ONNX.

`nlp/encoder_train.py` fine-tunes BAAI's bge-small-zh-v1.5 (MIT licence) on the sentiment
training pool and writes the graph next to the sentiment model file, with its tokenizer
(`nlp/models/sentiment-v1-encoder.onnx`, `…-tokenizer.json`); the linear head on its output
lives in the model file itself. Word features top out near 0.87 macro-F1 on Weibo; what a
pretrained encoder knows about how words combine is what they miss.

Output: the last hidden state of the [CLS] token, the vector the head was fine-tuned on. Texts
are cut to `MAX_TOKENS` word pieces: their head is where a post says how it feels, and it bounds
the cost (about 3 ms a text on one core).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

DIMENSIONS = 512
MAX_TOKENS = 128


class EncoderMissing(RuntimeError):
    pass


class Encoder:
    """[CLS] states on the CPU, one ONNX Runtime thread per run."""

    def __init__(self, model: Path, tokenizer: Path) -> None:
        for path in (model, tokenizer):
            if not path.is_file():
                raise EncoderMissing(f"sentiment encoder file missing: {path} "
                                     "(it ships with the model; `yuqing nlp train` writes it)")
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its notes on unused initialisers are noise
        self._session = onnxruntime.InferenceSession(str(model), options,
                                                     providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str], workers: int = 1) -> np.ndarray:
        """(len(texts), DIMENSIONS) float32.

        One text per run, never padded batches: the int8 graph quantises activations per
        tensor, so padding would change a text's vector with its batch neighbours (by up to
        0.04 per component, measured), and training would not see what the service computes.
        `workers` threads run texts side by side (ONNX Runtime releases the GIL).
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)

        def one(i: int) -> None:
            ids = np.array([self._tokenizer.encode(texts[i] or "").ids], dtype=np.int64)
            out[i] = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                              "token_type_ids": np.zeros_like(ids)})[0][0, 0]

        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(one, range(len(texts))))
        else:
            for i in range(len(texts)):
                one(i)
        return out
