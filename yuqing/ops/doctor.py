"""`yuqing doctor`: is this installation fit to run? One line per finding, exit code 1 when
anything failed.

Checked: the configuration (every problem of every key, and `YUQING_*` variables that set
nothing), the data directory (exists, writable, free space against `storage.min_free_mb`), the
alert rule file, each enabled source's own requirements (credentials present and well-formed,
never printed), the mention index (SQLite schema version and WAL / Elasticsearch health,
template and alias, outbox), the relational database (reachable — PostgreSQL with its server
version — and at the newest migration), and each notification channel (SMTP: a session up to
RCPT TO and RSET, so nothing is sent; webhooks: the URL and a TCP connection to its host, or
with `--send-test` a real test message). Every message passes through the secret mask, so no
configured secret can appear whatever a library puts in an error.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from yuqing.logs import MASK, secret_values
from yuqing.ops.disk import space
from yuqing.settings import Settings, check_config, config_path

log = logging.getLogger("yuqing.doctor")
# YUQING_* variables that are not settings but are read by the service, its tests or tools.
OTHER_VARIABLES = {"YUQING_CONFIG", "YUQING_SECRETS_FILE", "YUQING_ES_URL", "YUQING_JOB_ID", "YUQING_SHARED",
                   "YUQING_DATASETS", "YUQING_CJK_FONT", "YUQING_REQUIRE_ES", "YUQING_REQUIRE_PG",
                   "YUQING_REQUIRE_BROWSER"}


class Status(StrEnum):
    ok = "ok"
    warn = "warn"
    fail = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    status: Status
    message: str

    @property
    def line(self) -> str:
        return f"{self.status.value:<4} {self.area}: {self.message}"


@dataclass(frozen=True, slots=True)
class Options:
    send_test: bool = False  # webhooks: send a real test message instead of only connecting
    deep: bool = False  # SQLite files: PRAGMA quick_check (reads every page)
    timeout: float = 5.0  # seconds per network check


Check = Callable[[Settings, Options], list[Finding]]


def ok(area: str, message: str) -> Finding:
    return Finding(area, Status.ok, message)


def warn(area: str, message: str) -> Finding:
    return Finding(area, Status.warn, message)


def failed(area: str, message: str) -> Finding:
    return Finding(area, Status.fail, message)


def first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:300]}"


def check_environment() -> list[Finding]:
    """YUQING_* variables that name no setting are ignored by the service: say so."""
    sections = set(Settings.model_fields)
    found = []
    for name in sorted(os.environ):
        if not name.startswith("YUQING_") or name in OTHER_VARIABLES:
            continue
        section = name.removeprefix("YUQING_").split("__", 1)[0].lower()
        if section not in sections:
            found.append(warn("environment", f"{name} is not a setting and is ignored (sections: "
                                             f"{', '.join(sorted(sections))})"))
    return found


def check_data_dir(settings: Settings, options: Options) -> list[Finding]:
    area, directory = "data directory", settings.storage.data_dir
    if not directory.is_dir():
        return [failed(area, f"{directory} does not exist: run yuqing init")]
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        return [failed(area, f"{directory} is not writable by this user ({exc.strerror})")]
    found = space(directory)
    limit = settings.storage.min_free_mb
    text = f"{found.free_mb:,.0f} MB free of {found.total / 2**20:,.0f} MB (storage.min_free_mb = {limit})"
    if limit and found.free_mb < limit:
        return [failed(area, f"{text}: ingest is paused until space is freed")]
    if limit and found.free_mb < 2 * limit:
        return [warn(area, f"{text}: less than twice the limit")]
    return [ok(area, f"{directory.resolve()}: {text}")]


def check_rules(settings: Settings, options: Options) -> list[Finding]:
    from alerts.rules.loader import RuleFileError, parse_rules
    from yuqing.wiring import rules_path

    path = rules_path(settings)
    if not path.is_file():
        return [warn("alert rules", f"{path} does not exist yet (yuqing init creates it from the defaults)")]
    try:
        rules = parse_rules(path.read_text(encoding="utf-8", errors="replace"))
    except RuleFileError as exc:
        return [failed("alert rules", f"{path}: {exc} (the last valid rules stay in force)")]
    return [ok("alert rules", f"{path}: {len(rules.spec.rules)} rules, {len(rules.bursts)} burst rules")]


def _cookie_ok(cookie: str) -> bool:
    pairs = [part.strip() for part in cookie.split(";") if part.strip()]
    return bool(pairs) and all("=" in pair and pair.split("=", 1)[0].strip() for pair in pairs)


def check_sources(settings: Settings, options: Options) -> list[Finding]:
    """What each enabled source needs to crawl anything; secrets are only said to be set."""
    from crawlers.signing import SignerError, load_signer

    found = []
    for name, config in settings.sources:
        area = f"sources.{name}"
        if not config.enabled:
            found.append(ok(area, "disabled"))
            continue
        problems: list[Finding] = []
        cookie = config.cookie.get_secret_value() if config.cookie else ""
        if cookie and not _cookie_ok(cookie):
            problems.append(failed(area, "cookie is set but is not 'name=value; name2=value2' (copy the whole "
                                         "Cookie header of a logged-in browser)"))
        if name == "douyin":
            try:
                signer = load_signer(config.signer)
            except SignerError as exc:
                problems.append(failed(area, str(exc)))
                signer = True
            if signer is None and not cookie:
                problems.append(failed(area, "needs a signer (sources.douyin.signer) or a logged-in cookie "
                                             "(YUQING_SOURCES__DOUYIN__COOKIE); without either it is blocked"))
        needs = {"news_feeds": ("feeds", "no feeds"), "board": ("boards", "no [[sources.board.boards]]")}
        if name in needs and not getattr(config, needs[name][0]):
            problems.append(failed(area, f"enabled but {needs[name][1]} configured: it crawls nothing"))
        if not config.keywords and name not in ("news_feeds", "board"):
            problems.append(warn(area, "no keywords: it searches nothing"))
        credential = "cookie set" if cookie else "no cookie"
        found += problems or [ok(area, f"{len(config.keywords)} keywords, every {config.interval_minutes} min, "
                                       f"{credential}")]
    return found


def run_checks(config: Path | None, options: Options | None = None) -> list[Finding]:
    """Every check, in order; a check that breaks is itself a failed finding."""
    from yuqing.ops.doctor_services import check_database, check_index, check_notify

    options = options or Options()
    settings, problems = check_config(config)
    findings = [failed("config", problem) for problem in problems]
    if settings is not None:
        path = config_path(config)
        findings.append(ok("config", f"{path} is valid" if path.exists() else
                           f"no {path}: defaults and YUQING_* variables only"))
    findings += check_environment()
    if settings is None:
        return findings
    checks: list[tuple[str, Check]] = [
        ("data directory", check_data_dir), ("alert rules", check_rules), ("sources", check_sources),
        ("mention index", check_index), ("database", check_database), ("notify", check_notify)]
    for area, check in checks:
        try:
            findings += check(settings, options)
        except Exception as exc:  # a broken check is a finding, never a traceback
            log.debug("doctor: %s check failed", area, exc_info=True)
            findings.append(failed(area, f"the check itself failed: {first_line(exc)}"))
    return masked(findings, settings)


def masked(findings: list[Finding], settings: Settings) -> list[Finding]:
    secrets = secret_values(settings)

    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    return [Finding(f.area, f.status, clean(f.message)) for f in findings]
