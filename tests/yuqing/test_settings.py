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


def test_example_documents_every_source_and_every_source_has_a_spider() -> None:
    import tomllib

    from crawlers.run import SPIDERS

    example = tomllib.loads((REPO / "yuqing.example.toml").read_text(encoding="utf-8"))
    assert set(example["sources"]) == set(SPIDERS) == {name for name, _ in load_settings(
        REPO / "yuqing.example.toml").sources}


def test_secrets_file_beside_the_config_is_merged_and_must_be_private(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_SECRETS_FILE", raising=False)
    path = write(tmp_path, '[sources.douyin]\nkeywords = ["泰安燃气"]\n')
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[sources.douyin]\ncookie = "msToken=very-secret"\n', encoding="utf-8")
    secrets.chmod(0o600)
    settings = load_settings(path)
    assert settings.sources.douyin.cookie.get_secret_value() == "msToken=very-secret"
    assert settings.sources.douyin.keywords == ["泰安燃气"]  # the config file's values stay
    assert "very-secret" not in settings.model_dump_json()
    secrets.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_settings(path)
    monkeypatch.setenv("YUQING_SECRETS_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="secrets file not found"):
        load_settings(path)


def test_board_spec_needs_a_page_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources.board.boards]]\nname = "x"\nlist_url = "https://a.example/list"\n'
                           'item = "tr"\nlink = "a"\ncontent = "div"\n')
    with pytest.raises(ConfigError, match=r"sources.board.boards.0.list_url: must be an http\(s\) URL"):
        load_settings(path)
def test_es_url_from_the_short_and_the_nested_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[es]\nurl = "http://from-file:9200"\nindex_prefix = "gas"\n')
    assert load_settings(path).es.url == "http://from-file:9200"
    monkeypatch.setenv("YUQING_ES__URL", "http://nested:9200")
    assert load_settings(path).es.url == "http://nested:9200"
    monkeypatch.setenv("YUQING_ES_URL", "https://es1.example:9200, https://es2.example:9200")
    settings = load_settings(path)
    assert settings.es.hosts == ["https://es1.example:9200", "https://es2.example:9200"]
    assert settings.es.index_prefix == "gas"  # the rest of the section still comes from the file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[es]\nurl = "localhost:9200"\n', "es.url: 'localhost:9200' is not an http(s)://host[:port] URL"),
        ('[es]\nurl = "http://h:9200"\napi_key = "k"\nusername = "u"\npassword = "p"\n',
         "es: set either es.api_key or es.username/es.password, not both"),
        ('[es]\nurl = "http://h:9200"\nusername = "u"\n', "es: es.username and es.password go together"),
        ('[es]\nurl = "http://h:9200"\nca_certs = "ca.pem"\n', "es: es.ca_certs needs https:// URLs"),
        ('[es]\nindex_prefix = "Yuqing*"\n', "es.index_prefix: lower-case letters"),
        ('[es]\nreplicas = -1\n', "es.replicas: Input should be greater than or equal to 0"),
    ],
)
def test_broken_es_settings(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)


def test_store_is_sqlite_without_an_es_url(tmp_path: Path) -> None:
    from store.sqlite import SQLiteStore
    from yuqing.settings import Settings, StorageSettings
    from yuqing.wiring import open_mention_store

    with open_mention_store(Settings(storage=StorageSettings(data_dir=tmp_path))) as store:
        assert isinstance(store, SQLiteStore)
    assert not (tmp_path / "es_outbox.sqlite").exists()


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[kibana]\nurl = "kibana:5601"\n', "kibana.url: 'kibana:5601' is not an http(s)://host[:port] URL"),
        ('[kibana]\nurl = "https://elastic:changeme@kibana:5601"\n', "not in the URL"),
        ('[kibana]\napi_key = "k"\nusername = "u"\npassword = "p"\n', "set either kibana.api_key or"),
        ('[kibana]\nusername = "u"\n', "kibana.username and kibana.password go together"),
        ('[kibana]\nspace = "My Space"\n', "kibana.space: a Kibana space id"),
    ],
)
def test_broken_kibana_settings(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value) and "changeme" not in str(info.value)


def test_kibana_credentials_from_the_environment_stay_secret(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("YUQING_KIBANA__API_KEY", "a2V5OnNlY3JldA==")
    settings = load_settings(write(tmp_path, '[kibana]\nurl = "https://kibana.example:5601/"\nspace = "yuqing"\n'))
    assert settings.kibana.url == "https://kibana.example:5601" and settings.kibana.space == "yuqing"
    assert settings.kibana.api_key.get_secret_value() == "a2V5OnNlY3JldA=="
    assert "a2V5OnNlY3JldA" not in repr(settings.kibana)
