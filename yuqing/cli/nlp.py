"""`yuqing nlp`: the NLP stage on your own data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, settings_or_exit

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
