"""The [sites] settings: defaults, the documented examples, clear errors, masked secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.sitecheck.errors import BadStatus, ForeignRedirect, Reason, WeChatUnavailable
from tests.conftest import REPO
from yuqing.cli import app
from yuqing.settings import ConfigError, Settings, load_settings
from yuqing.settings_sites import TargetKind

EXAMPLE = REPO / "yuqing.example.toml"


def uncommented_examples(tmp_path: Path) -> Path:
    """yuqing.example.toml with its example targets uncommented."""
    text = EXAMPLE.read_text(encoding="utf-8")
    head, rest = text.split("# --- example targets", 1)
    block, tail = rest.split("# --- end of example targets ---", 1)
    lines = [line[2:] if line.startswith("# ") else "" for line in block.splitlines()[1:]]
    path = tmp_path / "yuqing.toml"
    path.write_text(head + "\n".join(lines) + tail, encoding="utf-8")
    return path


def test_defaults() -> None:
    sites = Settings().sites
    assert sites.targets == [] and sites.concurrency == 16 and sites.failures_to_alert == 2
    assert "页面不存在" in sites.error_texts and sites.crawl.start_urls == []
    assert load_settings(EXAMPLE).sites == sites  # the example documents the defaults


def test_the_documented_example_targets_are_valid(tmp_path: Path) -> None:
    sites = load_settings(uncommented_examples(tmp_path)).sites
    names = [t.name for t in sites.targets]
    assert {"官网首页", "报装申请", "缴费查询", "进度查询", "用气申请表"} <= set(names)
    kinds = {t.kind for t in sites.targets}
    assert kinds == set(TargetKind)
    apply = sites.target("报装申请")
    assert apply.request.method == "POST" and apply.request.json_body == {"district": "泰山区", "type": "居民"}
    assert sites.interval_of(sites.target("缴费查询")) == 5 and sites.interval_of(sites.target("官网首页")) == 10
    assert sites.allowed_hosts() == {"www.taishan-gas.example", "mp.weixin.qq.com", "wx.taishan-gas.example"}


@pytest.mark.parametrize(("text", "expected"), [
    ('[[sites.targets]]\nname = "a"\nurl = "www.x.cn"\n', "sites.targets.0.url: 'www.x.cn' is not"),
    ('[[sites.targets]]\nname = "a"\nurl = "http://x/"\nca_file = "/nope.pem"\n', "CA file not found"),
    ('[[sites.targets]]\nname = "a"\nurl = "http://x/"\nexpect_status = [999]\n', "sites.targets.0.expect_status"),
    ('[[sites.targets]]\nname = "a"\nurl = "http://x/"\n[sites.targets.request]\njson = {a = 1}\n',
     "a GET request has no body"),
    ('[[sites.targets]]\nname = "a"\nurl = "http://x/"\nkind = "rss"\n', "sites.targets.0.kind"),
    ('[sites.crawl]\nstart_urls = ["/relative"]\n', "sites.crawl.start_urls"),
    ('[sites]\nconcurrency = 0\n', "sites.concurrency"),
])
def test_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        load_settings(path)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YUQING_SITES__CONCURRENCY", "4")
    monkeypatch.setenv("YUQING_SITES__TARGETS", json.dumps([{"name": "首页", "url": "https://a.example/"}]))
    monkeypatch.chdir(tmp_path)
    sites = load_settings().sites
    assert sites.concurrency == 4 and sites.targets[0].name == "首页"


def test_query_headers_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "yuqing.toml").write_text('[[sites.targets]]\nname = "a"\nurl = "https://a.example/"\n'
                                          '[sites.targets.request]\nheaders = {Authorization = "Bearer s3cret"}\n',
                                          encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0 and "s3cret" not in result.output
    assert json.loads(result.output)["sites"]["targets"][0]["request"]["headers"] == {"Authorization": "**********"}


def test_failures_carry_their_data() -> None:
    failure = BadStatus("HTTP 500，应为 200", url="https://a.example/", status=500)
    assert (failure.reason, failure.status, failure.url, str(failure)) == (
        Reason.http_status, 500, "https://a.example/", "HTTP 500，应为 200")
    assert "reason=http_status" in repr(failure)
    moved = ForeignRedirect("x", url="https://a.example/", status=302, location="https://b.example/")
    assert moved.reason == Reason.foreign_redirect and moved.location == "https://b.example/"
    assert WeChatUnavailable("x", url="u", reason=Reason.wechat_deleted).reason == Reason.wechat_deleted
