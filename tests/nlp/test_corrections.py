"""Staff corrections become labelled examples that training picks up."""

import json

from typer.testing import CliRunner

from nlp.category_train import CORRECTION_WEIGHT, training_texts
from nlp.corrections import read_corrections
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.cli import app
from yuqing.records import Category, Correction, SentimentLabel
from yuqing.settings import StorageSettings
from yuqing.wiring import build_ingestor


def test_export_then_read_back(tmp_path, monkeypatch) -> None:
    settings = make_settings(tmp_path / "data")
    ingestor = build_ingestor(settings)
    ingestor.ingest([mention(1, "泰山港华燃气的师傅态度真好"), mention(2, "泰安岱岳区停气了")])
    ingestor.store.correct("weibo:1", Correction(sentiment=SentimentLabel.positive,
                                                 categories=[Category.service], by="pr1"))
    ingestor.store.close()
    monkeypatch.setenv("YUQING_STORAGE__DATA_DIR", str(StorageSettings(data_dir=tmp_path / "data").data_dir))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "corrections.jsonl"
    result = CliRunner().invoke(app, ["nlp", "export-corrections", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "weibo:1" and row["sentiment"] == "positive" and row["categories"] == ["service"]
    assert row["by"] == "pr1" and "态度真好" in row["text"]
    (out.parent / "broken.jsonl").write_text(out.read_text(encoding="utf-8") + "not json\n{}\n", encoding="utf-8")
    sentiments, categories = read_corrections(out.parent / "broken.jsonl")
    assert sentiments == [(row["text"], "positive")] and categories == [(row["text"], ["service"])]


def test_training_weighs_corrections_above_everything_else() -> None:
    texts = training_texts(None, extra=[("泰安港华客服电话永远打不通", ["service"])])
    text, codes, weight = texts[-1]
    assert text == "泰安港华客服电话永远打不通" and codes == {"service"} and weight == CORRECTION_WEIGHT > 1
    assert all(w == 1.0 for _, _, w in texts[:-1])
