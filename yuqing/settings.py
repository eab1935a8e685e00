"""One settings object, read from `yuqing.toml` and `YUQING_*` environment variables.

Environment wins over the file; nested keys use a double underscore, e.g.
`YUQING_SOURCES__WEIBO__COOKIE`. Every company-specific word lives here, so the same
service can watch another utility by changing the file only.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from yuqing.settings_ops import (
    DEFAULT_DEPARTMENTS,
    AlertSettings,
    AuthSettings,
    DepartmentSettings,
    NotifySettings,
    TicketSettings,
)

CONFIG_ENV = "YUQING_CONFIG"
DEFAULT_CONFIG = Path("yuqing.toml")


class ConfigError(Exception):
    """A configuration problem, phrased as one line a person can act on."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntitySettings(_Section):
    """The watched company: how people name it, where it serves, what is someone else."""

    name: str = "泰山港华燃气"
    # Names that mean us wherever they appear.
    aliases: list[str] = [
        "泰山港华燃气", "泰山港华", "泰安港华燃气", "泰安港华", "泰安市港华燃气", "泰安燃气公司",
    ]
    # Names that mean us only next to a place of the service area (港华 serves many cities).
    context_aliases: list[str] = ["港华燃气", "港华", "燃气公司", "天然气公司", "燃气集团"]
    # The service area: the city, its districts and counties.
    places: list[str] = [
        "泰安", "泰山区", "岱岳区", "高新区", "新泰", "肥城", "宁阳", "东平", "泰山景区",
    ]
    # Gas-service words: with a place of the service area they make a mention a candidate.
    topic_words: list[str] = [
        "燃气", "天然气", "煤气", "液化气", "停气", "没气", "漏气", "燃气费", "气价", "挂表",
        "通气", "报装", "壁挂炉", "燃气表", "气表", "抢修", "安检", "燃气灶", "燃气管道",
    ]
    # Text that marks a mention as someone else's (other cities' branches, other companies,
    # finance, recruitment).
    exclusions: list[str] = [
        "济南港华", "青岛港华", "淄博港华", "潍坊港华", "南京港华", "深圳港华", "武汉港华",
        "华润燃气", "新奥燃气", "中国燃气", "昆仑燃气", "港华智慧能源", "股价", "港股",
        "涨停", "跌停", "市值", "财报", "招聘", "诚聘", "急聘", "薪资",
    ]

    @field_validator("aliases", "places")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not [v for v in value if v.strip()]:
            raise ValueError("must name at least one entry")
        return value


class SourceSettings(_Section):
    """One source's crawl: what to search for, how often, how politely."""

    enabled: bool = True
    keywords: list[str] = []
    interval_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_pages: int = Field(default=5, ge=1, le=100)
    download_delay: float = Field(default=3.0, ge=0, le=600)  # seconds between requests
    concurrency: int = Field(default=1, ge=1, le=16)
    cookie: SecretStr | None = None  # from env or a secrets file, never from the repository


class SourcesSettings(_Section):
    weibo: SourceSettings = SourceSettings(
        keywords=["泰山港华燃气", "泰安港华", "泰安 燃气", "泰安 停气", "泰安 天然气"],
    )


class CrawlSettings(_Section):
    # Honest: says who we are. {version} is filled in.
    user_agent: str = "Mozilla/5.0 (compatible; yuqing/{version}; public-opinion monitor)"
    obey_robots_txt: bool = False  # platforms disallow all robots; we read public posts politely
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    timeout_minutes: int = Field(default=20, ge=1, le=24 * 60)  # a crawl running longer is stopped


class StorageSettings(_Section):
    data_dir: Path = Path("data")

    @property
    def mentions_db(self) -> Path:
        return self.data_dir / "mentions.sqlite"

    @property
    def crawl_state_db(self) -> Path:
        return self.data_dir / "crawl_state.sqlite"

    @property
    def alerts_db(self) -> Path:
        """Alerts, tickets, users (when no PostgreSQL URL is set)."""
        return self.data_dir / "yuqing.sqlite"


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    page_size_max: int = Field(default=200, ge=1, le=1000)
    # The ticket board and the alert list are served from a cache this many seconds (0: never);
    # any change made through this process shows at once.
    cache_seconds: float = Field(default=2.0, ge=0, le=60)


class NlpSettings(_Section):
    sentiment_model: Literal["snownlp"] = "snownlp"
    # Extra gazetteer rows as "level:name:parent", e.g. "street:泰山大街:泰山区".
    extra_places: list[str] = []


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="YUQING_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    entity: EntitySettings = EntitySettings()
    sources: SourcesSettings = SourcesSettings()
    crawl: CrawlSettings = CrawlSettings()
    storage: StorageSettings = StorageSettings()
    api: ApiSettings = ApiSettings()
    nlp: NlpSettings = NlpSettings()
    alerts: AlertSettings = AlertSettings()
    tickets: TicketSettings = TicketSettings()
    departments: dict[str, DepartmentSettings] = DEFAULT_DEPARTMENTS
    notify: NotifySettings = NotifySettings()
    auth: AuthSettings = AuthSettings()
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _departments_exist(self) -> Settings:
        needed = {"tickets.emergency.department": self.tickets.emergency.department,
                  "alerts.operations_department": self.alerts.operations_department}
        for channel_name, channel in self.notify.channels.items():
            for code in channel.departments:
                needed[f"notify.channels.{channel_name}.departments"] = code
        for key, code in needed.items():
            if code not in self.departments:
                raise ValueError(f"{key}: unknown department '{code}' (known: {', '.join(self.departments)})")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init values from load_settings(); environment overrides it.
        return env_settings, init_settings, file_secret_settings


def config_path(path: Path | str | None = None) -> Path:
    """The config file in use: the argument, else $YUQING_CONFIG, else ./yuqing.toml."""
    if path:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against yuqing.example.toml)"
    elif error["type"] == "missing":
        message = "is required"
    return f"{key}: {message}"


def load_settings(path: Path | str | None = None) -> Settings:
    """Settings from the file (when it exists) and the environment; ConfigError if invalid."""
    file = config_path(path)
    explicit = bool(path or os.environ.get(CONFIG_ENV))
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: config file not found")
        values: dict[str, Any] = {}
    else:
        values = _read_toml(file)
    try:
        return Settings(**values)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{file}: {_describe(errors[0])}{more}") from None


@lru_cache(maxsize=1)
def cached_settings() -> Settings:
    """Process-wide settings for the CLI and the service (tests build their own)."""
    return load_settings()
