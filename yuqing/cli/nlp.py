"""`yuqing nlp`: the NLP stage on your own data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit

nlp_app = typer.Typer(help="Run the NLP stage on your own data.", no_args_is_help=True)
app.add_typer(nlp_app, name="nlp")


@nlp_app.command("analyze")
def nlp_analyze(
    file: Annotated[Path | None, typer.Argument(help="JSON lines file; standard input if omitted")] = None,
    config: ConfigOption = None,
) -> None:
    """Analyse JSON lines ({"id", "text", "platform"?}) and write one JSON line per input."""
    from nlp.analyze import Analyzer

    analyzer = Analyzer(settings_or_exit(config))
    stream = file.open(encoding="utf-8", errors="replace") if file else sys.stdin
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = str(record.get("text") or "")
        except (ValueError, AttributeError):
            typer.echo(json.dumps({"line": number, "error": "not a JSON object"}))
            continue
        result = analyzer.analyze_text(text)
        typer.echo(json.dumps({
            "id": record.get("id", number),
            "relevant": result.relevant,
            "relevance_score": result.relevance_score,
            "sentiment": {"label": result.sentiment.label.value, "score": result.sentiment.score},
            "categories": [hit.model_dump(mode="json") for hit in result.categories],
            "place": result.place,
            "keywords": result.keywords,
        }, ensure_ascii=False))


@nlp_app.command("eval")
def nlp_eval(
    config: ConfigOption = None,
    datasets: Annotated[Path | None, typer.Option(help="labelled datasets folder (default ../shared/datasets)")] = None,
    split: Annotated[str, typer.Option(help="part of our own gas examples: test, dev or all")] = "test",
    limit: Annotated[int | None, typer.Option(help="at most this many texts per sentiment set")] = None,
) -> None:
    """Accuracy and macro-F1 of our sentiment next to SnowNLP, and category, relevance and place
    scores on the gas set."""
    from nlp.analyze import Analyzer
    from nlp.clean import clean_text, normalize
    from nlp.evaluation import evaluate_gas, load_gas_examples, load_gas_messages, sentiment_table
    from nlp.sentiment import SnowNLPSentiment

    if split not in ("test", "dev", "all"):
        fail("--split must be test, dev or all")
    analyzer = Analyzer(settings_or_exit(config))
    folder = datasets or Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    snow = SnowNLPSentiment()

    def ours(text: str) -> tuple[str, float]:
        a = analyzer.analyze_text(text)
        return a.sentiment.label.value, a.sentiment.score

    def snownlp(text: str) -> tuple[str, float]:
        label, score = snow.predict(normalize(clean_text(text)), [])
        return label.value, score

    models = {analyzer.sentiment.name: ours, "snownlp": snownlp}
    rows = sentiment_table(folder, models, limit) if folder.is_dir() else []
    typer.echo(f"# Sentiment ({folder})" if rows else f"# Sentiment: no datasets at {folder}")
    for name, n, scores in rows:
        cells = "  ".join(f"{m}: acc {s.accuracy:.3f} F1 {s.macro_f1:.3f}" for m, s in scores.items())
        delta = scores[analyzer.sentiment.name].macro_f1 - scores["snownlp"].macro_f1
        typer.echo(f"{name:30s} n={n:<6d} {cells}  ΔF1 {delta:+.3f}")
    parts = [("gas examples " + split, load_gas_examples(None if split == "all" else split), True)]
    real = load_gas_messages(folder)
    if real:
        # Another city's board: relevance to our utility and Tai'an places do not apply.
        parts.append(("real gas messages (Part A)", real, False))
    for name, examples, ours_area in parts:
        report = evaluate_gas(name, examples, analyzer.analyze_text, {"snownlp": snownlp},
                              check_relevance=ours_area, check_places=ours_area)
        typer.echo(f"\n# {report.name}: {report.n} texts")
        if ours_area:
            typer.echo(f"relevance precision {report.relevance.precision:.3f} recall "
                       f"{report.relevance.recall:.3f}; place exact {report.places_right}/{report.places_n}")
        for model, s in report.sentiment.items():
            typer.echo(f"sentiment {model:18s} acc {s.accuracy:.3f} macro-F1 {s.macro_f1:.3f}")
        typer.echo(f"{'category':14s} {'precision':>9s} {'recall':>7s} {'F1':>6s} {'support':>8s}")
        for code, c in report.categories.items():
            typer.echo(f"{code:14s} {c.precision:9.3f} {c.recall:7.3f} {c.f1:6.3f} {c.support:8d}")


def _stored_corrections(settings):
    """Every reviewer-corrected mention in the index, page by page."""
    from store.base import MentionQuery, Sort
    from yuqing.wiring import open_mention_store

    with open_mention_store(settings) as store:
        offset = 0
        while True:
            page = store.search(MentionQuery(corrected=True, sort=Sort.oldest, limit=500, offset=offset))
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return


@nlp_app.command("export-corrections")
def nlp_export_corrections(
    file: Annotated[Path | None, typer.Argument(help="JSON lines file to write; standard output if omitted")] = None,
    config: ConfigOption = None,
) -> None:
    """Write PR staff's sentiment and category corrections as labelled examples (JSON lines)."""
    from nlp.corrections import correction_rows

    rows = correction_rows(_stored_corrections(settings_or_exit(config)))
    lines = (json.dumps(row, ensure_ascii=False) for row in rows)
    if file is None:
        for line in lines:
            typer.echo(line)
        return
    count = 0
    with file.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    typer.echo(f"{count} corrections written to {file}")


@nlp_app.command("train")
def nlp_train(
    config: ConfigOption = None,
    datasets: Annotated[Path | None, typer.Option(help="labelled datasets folder (default ../shared/datasets)")] = None,
    corrections: Annotated[Path | None, typer.Option(help="exported corrections (JSON lines) to include")] = None,
    from_store: Annotated[bool, typer.Option(help="also include the corrections stored in the index")] = True,
    out: Annotated[Path | None, typer.Option(help="folder for the model files (default: the shipped ones)")] = None,
    only: Annotated[str | None, typer.Option(help="train one model only: sentiment or categories")] = None,
) -> None:
    """Train the sentiment and category models on the datasets, our gas set and staff corrections."""
    if only not in (None, "sentiment", "categories"):
        fail("--only must be sentiment or categories")
    try:
        import jax  # noqa: F401
        import onnx  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        fail("training needs scikit-learn, JAX and ONNX: pip install 'yuqing[train]'")
    from nlp import category_train, sentiment_train
    from nlp.category_model import MODEL_FILE as CATEGORY_MODEL
    from nlp.corrections import correction_rows, read_corrections
    from nlp.sentiment_model import DEFAULT_MODEL as SENTIMENT_MODEL

    settings = settings_or_exit(config)
    folder = datasets or Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    if not folder.is_dir():
        fail(f"{folder}: datasets folder not found (pass --datasets)")
    sentiments: list[tuple[str, str]] = []
    categories: list[tuple[str, list[str]]] = []
    if corrections is not None:
        if not corrections.is_file():
            fail(f"{corrections}: file not found")
        sentiments, categories = read_corrections(corrections)
    if from_store:
        for row in correction_rows(_stored_corrections(settings)):
            if "sentiment" in row:
                sentiments.append((row["text"], row["sentiment"]))
            if "categories" in row:
                categories.append((row["text"], row["categories"]))
    typer.echo(f"staff corrections: {len(sentiments)} sentiment, {len(categories)} category")
    sentiment_out = (out / SENTIMENT_MODEL.name) if out else SENTIMENT_MODEL
    category_out = (out / CATEGORY_MODEL.name) if out else CATEGORY_MODEL
    if only != "categories":
        try:
            report = sentiment_train.train(folder, sentiment_out, extra_examples=sentiments)
        except (OSError, ValueError) as exc:  # the base encoder's download, mostly
            fail(f"sentiment model not trained (the shipped one is unchanged): {exc}")
        typer.echo(f"sentiment model → {sentiment_out}: {json.dumps(report, ensure_ascii=False, default=str)}")
    if only != "sentiment":
        report = category_train.train(folder, category_out, extra=categories)
        typer.echo(f"category model → {category_out}: {json.dumps(report, ensure_ascii=False, default=str)}")
