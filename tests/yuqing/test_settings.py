from pathlib import Path

import pytest

from yuqing.settings import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_example_is_valid_and_names_the_utility() -> None:
    settings = load_settings(REPO / "yuqing.example.toml")
    assert "泰山港华燃气" in settings.entity.aliases
    assert {"泰山区", "岱岳区", "新泰", "肥城", "宁阳", "东平"} <= set(settings.entity.places)
    assert settings.sources.weibo.keywords


def test_file_values_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.weibo]\nkeywords = ["泰安 停气"]\ninterval_minutes = 15\n'
                           '[api]\nport = 9001\n')
    settings = load_settings(path)
    assert settings.sources.weibo.keywords == ["泰安 停气"]
    assert settings.sources.weibo.interval_minutes == 15
    assert settings.api.port == 9001


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[api]\nport = 9001\n")
    monkeypatch.setenv("YUQING_API__PORT", "9002")
    monkeypatch.setenv("YUQING_SOURCES__WEIBO__COOKIE", "SUB=secret-value")
    settings = load_settings(path)
    assert settings.api.port == 9002
    assert settings.sources.weibo.cookie.get_secret_value() == "SUB=secret-value"
    assert "secret-value" not in repr(settings) and "secret-value" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[api]\nport = 'eighty'\n", "api.port: Input should be a valid integer"),
        ("[api]\nport = 70000\n", "api.port: Input should be less than or equal to 65535"),
        ("[sources.weibo]\nkeyword = ['x']\n", "sources.weibo.keyword: unknown key"),
        ("[entity]\naliases = []\n", "entity.aliases: must name at least one entry"),
        ("[api\nport = 1\n", "not valid TOML"),
        ("[sources.weibo]\ninterval_minutes = 0\n",
         "sources.weibo.interval_minutes: Input should be greater than or equal to 1"),
    ],
)
def test_broken_config_gives_one_line_naming_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml")


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    assert load_settings().entity.name == "泰山港华燃气"


def test_notification_secrets_come_from_the_environment(tmp_path, monkeypatch) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[notify.channels.pr_group]\nkind = "dingtalk"\nmin_level = "red"\n', encoding="utf-8")
    monkeypatch.setenv("YUQING_NOTIFY__CHANNELS__PR_GROUP__URL", "https://oapi.example/robot/send?access_token=T0K3N")
    monkeypatch.setenv("YUQING_NOTIFY__CHANNELS__PR_GROUP__SECRET", "SECabc")
    channel = load_settings(config).notify.channels["pr_group"]
    assert channel.kind == "dingtalk" and channel.min_level == "red"
    assert channel.url.get_secret_value().endswith("T0K3N") and "T0K3N" not in repr(channel)


def test_unknown_departments_are_refused_with_the_key(tmp_path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[tickets.emergency]\ndepartment = "moon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tickets\.emergency\.department: unknown department .moon."):
        load_settings(config)
    config.write_text('[[tickets.sla]]\nlevel = "purple"\nrespond_minutes = 1\nresolve_minutes = 2\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tickets\.sla\.0\.level"):
        load_settings(config)
