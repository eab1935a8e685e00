"""Reading the rule file: YAML → validated `RuleSet`, or a `RuleFileError` naming the line.

`RuleBook` keeps the rules in force: it re-reads the file when it changes, and when the new
text is invalid it logs the line and reason and keeps the last valid rules. Every valid text
is recorded in `rule_versions`, so after a restart with a broken file the last valid rules
(not the shipped defaults) stay in force.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select

from alerts.db import Database, now_shanghai
from alerts.models import RuleVersion
from alerts.rules.engine import RuleSet
from alerts.rules.schema import RuleFile
from alerts.rules.zh import reason_zh

DEFAULT_RULES = Path(__file__).parent / "default_rules.yaml"
log = logging.getLogger("yuqing.alerts.rules")


class RuleFileError(ValueError):
    """An invalid rule file: the line (1-based, when known) and the reason."""

    def __init__(self, line: int | None, reason: str) -> None:
        self.line, self.reason = line, reason
        super().__init__(f"第 {line} 行：{reason}" if line else reason)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the YAML node an error location points at (the nearest existing parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def parse_rules(text: str) -> RuleSet:
    """Validate and compile a rule file's text; RuleFileError with the line and reason if invalid."""
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RuleFileError(mark.line + 1 if mark else None, f"不是有效的 YAML：{exc.problem}") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(None, f"不是有效的 YAML：{exc}") from None
    if not isinstance(data, dict):
        raise RuleFileError(1, "规则文件的顶层必须是包含 version、rules、bursts 的映射")
    try:
        spec = RuleFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = reason_zh(error)
        raise RuleFileError(_line_of(tree, tuple(error["loc"])), f"{where}: {message}" if where else message) from None
    return RuleSet(spec, text)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RuleBook:
    """The rules in force, backed by a file that administrators edit (by hand or through the API)."""

    def __init__(self, path: Path, *, db: Database | None = None) -> None:
        self.path = path
        self.db = db
        self.error: str | None = None  # why the file on disk is not in force, if it is not
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self.rules = self._initial()

    def _initial(self) -> RuleSet:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write(DEFAULT_RULES.read_text(encoding="utf-8"))
        try:
            return self._load_file()
        except RuleFileError as exc:
            self._refuse(exc)
            fallback = self._last_version()
            return parse_rules(fallback) if fallback else parse_rules(DEFAULT_RULES.read_text(encoding="utf-8"))

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def _load_file(self) -> RuleSet:
        self._stamp = self._stat()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        rules = parse_rules(text)
        self.error = None
        self._record(text, by="file")
        return rules

    def _refuse(self, exc: RuleFileError) -> None:
        self.error = f"{self.path.name} {exc}"
        log.error("alert rules: %s: %s; the last valid rules stay in force", self.path, exc)

    def refresh(self) -> RuleSet:
        """Re-read the file if it changed; an invalid file is refused and the rules stay as they were."""
        if self._stat() == self._stamp:
            return self.rules
        with self._lock:
            if self._stat() != self._stamp:
                try:
                    self.rules = self._load_file()
                except RuleFileError as exc:
                    self._refuse(exc)
        return self.rules

    def save(self, text: str, *, by: str, now: datetime | None = None) -> RuleSet:
        """Validate, then write the file atomically and put the rules in force (RuleFileError if invalid)."""
        rules = parse_rules(text)
        with self._lock:
            self._write(text)
            self._stamp = self._stat()
            self._record(text, by=by, now=now)
            self.rules, self.error = rules, None
        log.info("alert rules: new rules saved by %s", by)
        return rules

    def _write(self, text: str) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)

    def _last_version(self) -> str | None:
        if self.db is None:
            return None
        with self.db.read() as session:
            return session.scalar(select(RuleVersion.text).order_by(RuleVersion.id.desc()).limit(1))

    def _record(self, text: str, *, by: str, now: datetime | None = None) -> None:
        if self.db is None:
            return
        digest = _sha(text)
        with self.db.write() as session:
            newest = session.scalar(select(RuleVersion.sha256).order_by(RuleVersion.id.desc()).limit(1))
            if newest != digest:
                session.add(RuleVersion(text=text, sha256=digest, created_at=now or now_shanghai(), created_by=by))
