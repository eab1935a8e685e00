"""Schemathesis (pinned in pyproject) fuzzes every operation of the app's own OpenAPI
description, logged in as an administrator and as a department handler, with data that fits
the description and data that does not: no answer may be a server error, and every status an
operation answers must be one its description documents (401/403/404/409/413/422/429/503, ...).

The number of examples per operation is bounded (YUQING_FUZZ_EXAMPLES, default 12 fitting and
8 not fitting) and generation is derandomized, so a run takes about a minute and a failure
reproduces. Every case gets a fresh login token, so an operation that ends sessions (log out,
password change) cannot blind the ones after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import status_code_conformance

from alerts.actor import SYSTEM
from alerts.db import Database, now_shanghai
from alerts.flows import AlertEvaluator
from alerts.rules.loader import RuleBook
from alerts.tickets.service import open_ticket
from alerts.users.models import User
from alerts.users.service import issue_token
from api.app import create_app
from tests.api.helpers import add_user
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.ingest import Ingestor
from yuqing.records import Role
from yuqing.settings_ops import AuthSettings

POSITIVE = int(os.environ.get("YUQING_FUZZ_EXAMPLES", "12"))
NEGATIVE = max(2, POSITIVE * 2 // 3)
pytestmark = pytest.mark.slow


@dataclass
class Fuzzed:
    schema: schemathesis.BaseSchema
    db: Database
    settings: object
    calls: dict[str, int] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        with self.db.write() as session:
            user = session.query(User).filter_by(username=username).one()
            user.active = True  # the fuzzer may have switched it off through PATCH /api/users/{username}
            token, _ = issue_token(session, user=user, settings=self.settings, now=now_shanghai())
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, analyzer) -> Iterator[Fuzzed]:
    from store.sqlite import SQLiteStore
    from yuqing.settings import Settings
    from yuqing.wiring import query_tokenizer

    base = tmp_path_factory.mktemp("fuzz")
    # Generous login limits: the fuzzer's own login attempts must not turn every later one into 429
    # (which is documented, but would hide the 401 path).
    settings = make_settings(base / "data", auth=AuthSettings(login_failures_per_address=10_000,
                                                              login_failures_per_user=10_000, max_failed_logins=100))
    store = SQLiteStore(base / "mentions.sqlite", query_tokenizer(Settings()))
    db = Database(f"sqlite:///{base / 'yuqing.sqlite'}")
    db.migrate()
    items = [mention(1, "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管"),
             mention(2, "岱岳区天平街道停气三天了，打客服电话一直占线"), mention(3, "周末去泰山看日出")]
    Ingestor(analyzer, store).ingest(items)
    rules = RuleBook(base / "data" / "alert_rules.yaml", db=db)
    now = now_shanghai()
    AlertEvaluator(db, rules, settings).evaluate([(m, store.get(m.id).analysis) for m in items[:2]], now=now)
    with db.write() as session:
        for n in range(3):
            open_ticket(session, title=f"工单 {n}", settings=settings, actor=SYSTEM, now=now, level="yellow",
                        category="billing", department="customer")
    add_user(db, settings, "fuzz-admin", Role.admin)
    add_user(db, settings, "fuzz-handler", Role.handler, "customer")
    app = create_app(settings, store=store, db=db, rules=rules)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield Fuzzed(schema=schema, db=db, settings=settings)
    finally:
        shutdown_lifespans()  # schemathesis keeps the app's lifespan running until told
        store.close()
        db.close()


def operations(schema: schemathesis.BaseSchema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 45  # every router's operations were found
    return found


def fuzz(fuzzed: Fuzzed, username: str) -> list[str]:
    """Run every operation; the failures, one line each (method, path, what went wrong)."""
    problems: list[str] = []
    for operation in operations(fuzzed.schema):
        for mode, examples in ((schemathesis.GenerationMode.POSITIVE, POSITIVE),
                               (schemathesis.GenerationMode.NEGATIVE, NEGATIVE)):

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                headers = fuzzed.headers(username)
                response = case.call(headers=headers)
                fuzzed.calls[response.status_code] = fuzzed.calls.get(response.status_code, 0) + 1
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance],
                                       headers=headers)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its findings as a group
                problems.append(f"{operation.label} ({mode.value}): {' | '.join(str(exc).split(chr(10))[:12])[:600]}")
    return problems


@pytest.mark.parametrize("username", ["fuzz-admin", "fuzz-handler"])
def test_no_server_errors_and_only_documented_answers(fuzzed: Fuzzed, username: str) -> None:
    problems = fuzz(fuzzed, username)
    assert not problems, "\n".join(problems)
    assert not [status for status in fuzzed.calls if status >= 500]
    assert fuzzed.calls.get(200, 0) > 50 and fuzzed.calls.get(422, 0) > 20  # both kinds of data got through


def test_an_undocumented_status_would_be_caught(fuzzed: Fuzzed) -> None:
    """The check itself works: a 418 no operation documents fails status_code_conformance."""
    operation = next(op for op in operations(fuzzed.schema) if op.label == "GET /api/departments")
    case = operation.Case()
    response = case.call(headers=fuzzed.headers("fuzz-admin"))
    assert response.status_code == 200
    response.status_code = 418
    try:
        case.validate_response(response, checks=[status_code_conformance])
    except BaseExceptionGroup as group:  # schemathesis reports its findings as a group
        caught = group
    else:
        pytest.fail("a 418 no operation documents passed the status check")
    assert any("Undocumented status code" in str(exc) for exc in caught.exceptions)
