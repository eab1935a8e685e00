"""`yuqing kibana import` against a local server that behaves like Kibana's saved-objects import
endpoint, and against a closed port: the request Kibana needs (method, path, kbn-xsrf, credentials,
multipart NDJSON, overwrite), the data view retargeted to the configured alias, and one clear line
with exit code 2 whenever Kibana cannot be reached or refuses."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kibana.objects import DASHBOARD_ID, DATA_VIEW_ID, build, load, to_ndjson
from tests.kibana.fake_kibana import FakeKibana
from yuqing.cli import app

runner = CliRunner()
API_KEY = base64.b64encode(b"key-id:very-secret-key-material").decode()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("YUQING_CONFIG", "YUQING_KIBANA__API_KEY", "YUQING_KIBANA__USERNAME", "YUQING_KIBANA__PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YUQING_STORAGE__DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_import_sends_what_kibana_needs_and_overwrites(env, monkeypatch) -> None:
    monkeypatch.setenv("YUQING_KIBANA__API_KEY", API_KEY)
    monkeypatch.setenv("YUQING_ES__INDEX_PREFIX", "gas-mentions")
    with FakeKibana(api_key=API_KEY, spaces=("default", "yuqing")) as kibana:
        first = runner.invoke(app, ["kibana", "import", "--url", kibana.url + "/", "--space", "yuqing"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["kibana", "import", "--url", kibana.url, "--space", "yuqing"])
        assert again.exit_code == 0, again.output  # the same ids again: overwritten, not a conflict
    [request, _] = kibana.requests
    assert (request.method, request.path) == ("POST", "/s/yuqing/api/saved_objects/_import")
    assert request.query == {"overwrite": ["true"]} and request.headers["kbn-xsrf"] == "true"
    assert request.headers["authorization"] == f"ApiKey {API_KEY}"
    assert request.file_name.endswith(".ndjson")
    shipped = load()
    assert [(o["type"], o["id"]) for o in request.objects] == [(o["type"], o["id"]) for o in shipped]
    view = next(o for o in request.objects if o["id"] == DATA_VIEW_ID)
    assert view["attributes"]["title"] == "gas-mentions"  # the configured alias, not the shipped default
    assert len(kibana.stored) == len(shipped)
    assert f"imported {len(shipped)} saved objects" in first.output
    assert f"dashboard {DASHBOARD_ID} (舆情总览)" in first.output
    assert f"{kibana.url}/s/yuqing/app/dashboards#/view/{DASHBOARD_ID}" in first.output
    assert API_KEY not in first.output


def test_basic_credentials_and_the_default_space_from_the_config_file(env) -> None:
    with FakeKibana(username="yuqing_admin", password="pa55-word-long") as kibana:
        (env / "yuqing.toml").write_text(f'[kibana]\nurl = "{kibana.url}"\n', encoding="utf-8")
        (env / "secrets.toml").write_text('[kibana]\nusername = "yuqing_admin"\npassword = "pa55-word-long"\n',
                                          encoding="utf-8")
        (env / "secrets.toml").chmod(0o600)
        result = runner.invoke(app, ["kibana", "import"])
    assert result.exit_code == 0, result.output
    assert kibana.requests[0].path == "/api/saved_objects/_import" and "pa55" not in result.output


@pytest.mark.parametrize(("server", "args", "expected"), [
    ({"api_key": "another-key"}, [], "refused the credentials (HTTP 401: [security_exception]: missing authentication "
                                     "credentials for REST request): check kibana.api_key"),
    ({}, ["--space", "nope"], "has no space 'nope' (HTTP 404: Saved object [space/nope] not found)"),
], ids=["wrong-key", "unknown-space"])
def test_refusals_are_one_line(env, monkeypatch, server, args, expected) -> None:
    monkeypatch.setenv("YUQING_KIBANA__API_KEY", API_KEY)
    with FakeKibana(**server) as kibana:
        line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", kibana.url, *args]))
    assert line.startswith(f"yuqing: Kibana at {kibana.url}") and expected in line
    assert API_KEY not in line and not kibana.stored


def test_objects_kibana_refuses_are_named(env, tmp_path) -> None:
    """A file whose dashboard points at a visualization it does not hold: Kibana imports the rest
    and names what it refused; the command says so and fails."""
    objects = [o for o in build() if o["id"] != "yuqing-vis-platforms"]
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(to_ndjson(objects))
    with FakeKibana() as kibana:
        line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", kibana.url, "--file", str(broken)]))
    assert f"imported {len(objects) - 1} of {len(objects)} objects and refused dashboard {DASHBOARD_ID} " \
           "(missing_references: visualization yuqing-vis-platforms)" in line


def test_unreachable_kibana_and_bad_input(env, tmp_path) -> None:
    port = closed_port()
    line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", f"http://127.0.0.1:{port}"]))
    assert line.startswith(f"yuqing: Kibana at http://127.0.0.1:{port} cannot be reached:")
    assert one_line_error(runner.invoke(app, ["kibana", "import"])) == \
        "yuqing: no Kibana address: give --url or set kibana.url in the config file"
    line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", "http://admin:pw@kibana:5601"]))
    assert "not in the URL" in line and "pw" not in line
    not_json = tmp_path / "objects.ndjson"
    not_json.write_text('{"type": "dashboard"\n', encoding="utf-8")
    with FakeKibana() as kibana:
        line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", kibana.url, "--file", str(not_json)]))
        assert line.startswith(f"yuqing: {not_json}: not NDJSON") and not kibana.requests  # nothing sent


def test_an_answer_that_is_not_kibanas(env) -> None:
    """A web server that answers every path with 200 and a page is not taken for a success."""
    with FakeKibana(not_kibana=True) as server:
        line = one_line_error(runner.invoke(app, ["kibana", "import", "--url", server.url]))
    assert "is not Kibana's import result" in line


def test_export_writes_the_objects_for_the_configured_alias(env, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("YUQING_ES__INDEX_PREFIX", "gas-mentions")
    out = tmp_path / "kibana.ndjson"
    assert runner.invoke(app, ["kibana", "export", "--out", str(out)]).exit_code == 0
    exported = load(out)
    assert len(exported) == len(load()) and exported[0]["attributes"]["title"] == "gas-mentions"
