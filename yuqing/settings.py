"""One settings object, read from `yuqing.toml` and `YUQING_*` environment variables.

Environment wins over the file; nested keys use a double underscore, e.g.
`YUQING_SOURCES__WEIBO__COOKIE`. Every company-specific word lives here, so the same
service can watch another utility by changing the file only.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from yuqing.settings_base import Section as _Section
from yuqing.settings_base import http_url
from yuqing.settings_kibana import KibanaSettings
from yuqing.settings_ops import (
    DEFAULT_DEPARTMENTS,
    AlertSettings,
    AuthSettings,
    DepartmentSettings,
    NotifySettings,
    TicketSettings,
)
from yuqing.settings_reports import ReportSettings
from yuqing.settings_run import LoggingSettings, MetricsSettings
from yuqing.settings_sites import SitesSettings

CONFIG_ENV = "YUQING_CONFIG"
SECRETS_ENV = "YUQING_SECRETS_FILE"
DEFAULT_CONFIG = Path("yuqing.toml")
ES_URL_ENV = "YUQING_ES_URL"  # the documented short name of es.url


class ConfigError(Exception):
    """A configuration problem, phrased as one line a person can act on."""


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
    # Seconds between requests per domain, where a domain needs more care than the default.
    domain_delays: dict[str, float] = {}
    daily_budget: int = Field(default=2000, ge=1, le=1_000_000)  # requests per Asia/Shanghai day
    retry_times: int = Field(default=3, ge=0, le=10)  # for 429, 5xx and network errors
    backoff_seconds: float = Field(default=5.0, ge=0, le=600)  # first retry wait; doubles each time
    backoff_max_seconds: float = Field(default=300.0, ge=0, le=3600)  # cap, also for Retry-After
    backfill_pages: int = Field(default=20, ge=0, le=500)  # extra pages per keyword to fill a gap
    blocked_alert_minutes: int = Field(default=180, ge=1, le=30 * 24 * 60)  # then an ops alert

    @field_validator("domain_delays")
    @classmethod
    def _delays_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for domain, delay in value.items():
            if not 0 <= delay <= 600:
                raise ValueError(f"{domain}: delay must be between 0 and 600 seconds")
        return value


class CommentingSourceSettings(SourceSettings):
    """A source whose posts have comments worth reading when the post matters."""

    comments: bool = True
    # Comments of relevant posts that are negative, or whose reposts+comments+likes reach this.
    comments_min_engagement: int = Field(default=50, ge=0)
    comment_pages: int = Field(default=2, ge=1, le=50)


class WechatSettings(SourceSettings):
    # Official accounts to follow by name or WeChat id (local media and the utility's own).
    accounts: list[str] = []


class DouyinSettings(CommentingSourceSettings):
    # "package.module:function" returning the signed URL for a Douyin web API URL; see
    # crawlers/signing.py. Without it (and without a cookie) the source reports itself blocked.
    signer: str | None = None


class FeedSettings(SourceSettings):
    # RSS/Atom feeds of local and provincial media; entries matching a keyword are kept.
    feeds: list[str] = []


class PeopleBoardSettings(SourceSettings):
    # Forum ids (fid) of the leaders whose boards to read (人民网领导留言板).
    forums: list[int] = []
    app_code: str = "PC42ce3bfa4980a9"  # the web client's public app code
    recheck_days: int = Field(default=60, ge=0, le=365)  # re-read unanswered messages this long


class BoardSpec(_Section):
    """One generic message board (12345 hotline, 市长信箱): pages and CSS selectors."""

    name: str
    list_url: str  # with {page}, e.g. "https://12345.example.gov.cn/list?page={page}"
    item: str  # selector of one message row on the list page
    link: str  # selector of the link to the message page, inside a row
    title: str = ""  # selectors inside a row (empty: not shown on the list)
    date: str = ""
    status: str = ""
    content: str  # selectors on the message page
    reply: str = ""
    reply_date: str = ""
    reply_org: str = ""
    region: str = ""

    @field_validator("list_url")
    @classmethod
    def _has_page(cls, value: str) -> str:
        if "{page}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL containing {page}")
        return value


class BoardSettings(SourceSettings):
    boards: list[BoardSpec] = []


class SourcesSettings(_Section):
    weibo: CommentingSourceSettings = CommentingSourceSettings(
        keywords=["泰山港华燃气", "泰安港华", "泰安 燃气", "泰安 停气", "泰安 天然气"],
    )
    wechat: WechatSettings = WechatSettings(
        keywords=["泰山港华燃气", "泰安港华", "泰安 燃气"], accounts=["泰安发布", "泰山港华燃气"],
        interval_minutes=120, download_delay=8.0, domain_delays={"weixin.sogou.com": 10.0},
        daily_budget=500,
    )
    toutiao: CommentingSourceSettings = CommentingSourceSettings(
        keywords=["泰山港华燃气", "泰安 燃气", "泰安 停气"], interval_minutes=60,
    )
    douyin: DouyinSettings = DouyinSettings(
        keywords=["泰安燃气", "泰安 停气", "泰山港华"], interval_minutes=60, download_delay=5.0,
    )
    baidu_news: SourceSettings = SourceSettings(
        keywords=["泰山港华燃气", "泰安港华", "泰安 燃气"], interval_minutes=60, max_pages=3,
    )
    news_feeds: FeedSettings = FeedSettings(
        keywords=["燃气", "天然气", "港华", "停气"], interval_minutes=60, max_pages=1,
        feeds=["http://www.people.com.cn/rss/politics.xml"],
    )
    people_board: PeopleBoardSettings = PeopleBoardSettings(
        keywords=["泰安 燃气", "泰安 天然气", "泰安 港华", "泰安 停气"], interval_minutes=240, max_pages=3,
    )
    board: BoardSettings = BoardSettings(
        enabled=False, keywords=["燃气", "天然气", "港华", "停气", "煤气"], interval_minutes=240, max_pages=2,
    )


class CrawlSettings(_Section):
    # Honest: says who we are. {version} is filled in.
    user_agent: str = "Mozilla/5.0 (compatible; yuqing/{version}; public-opinion monitor)"
    obey_robots_txt: bool = False  # platforms disallow all robots; we read public posts politely
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    timeout_minutes: int = Field(default=20, ge=1, le=24 * 60)  # a crawl running longer is stopped


class StorageSettings(_Section):
    data_dir: Path = Path("data")
    # Ingest stops (and an operations alert opens) when the data directory's file system has
    # less free space than this, so the stores never fill the disk; 0 turns the guard off.
    min_free_mb: int = Field(default=500, ge=0, le=1_000_000)

    @property
    def mentions_db(self) -> Path:
        return self.data_dir / "mentions.sqlite"

    @property
    def crawl_state_db(self) -> Path:
        return self.data_dir / "crawl_state.sqlite"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def sites_db(self) -> Path:
        return self.data_dir / "sites.sqlite"

    @property
    def es_outbox_db(self) -> Path:
        """Analysed mentions waiting for Elasticsearch, or rejected by it."""
        return self.data_dir / "es_outbox.sqlite"

    @property
    def alerts_db(self) -> Path:
        """Alerts, tickets, users (when no PostgreSQL URL is set)."""
        return self.data_dir / "yuqing.sqlite"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


_INDEX_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]{0,60}$")


class EsSettings(_Section):
    """Elasticsearch for the mention index. Without a URL, mentions stay in SQLite."""

    # One URL, or several separated by commas (nodes of one cluster). $YUQING_ES_URL sets it.
    url: str = ""
    api_key: SecretStr | None = None  # base64 "id:key" as Kibana shows it; or username + password
    username: str = ""
    password: SecretStr | None = None
    ca_certs: Path | None = None  # PEM file of the CA that signed the cluster's certificate
    verify_certs: bool = True  # never turn off outside a test cluster
    index_prefix: str = "yuqing-mentions"  # indices <prefix>-YYYY.MM behind the alias <prefix>
    shards: int = Field(default=1, ge=1, le=64)  # per monthly index
    replicas: int = Field(default=1, ge=0, le=8)  # 0 on a single-node cluster
    retention_months: int = Field(default=0, ge=0, le=1200)  # drop older monthly indices; 0 keeps all
    request_timeout: float = Field(default=30, gt=0, le=600)  # seconds
    bulk_size: int = Field(default=500, ge=1, le=10_000)  # mentions per bulk request
    retry_seconds: int = Field(default=30, ge=0, le=3600)  # after an outage, wait before trying again
    # Snapshots (`yuqing es snapshot` / `yuqing es restore`): a shared-filesystem repository in
    # this directory *on the Elasticsearch nodes* (it must be listed in their path.repo), under
    # this repository name. Empty location: no snapshots.
    snapshot_location: str = ""
    snapshot_repository: str = "yuqing"

    @field_validator("url")
    @classmethod
    def _urls(cls, value: str) -> str:
        for url in (u.strip() for u in value.split(",") if u.strip()):
            http_url(url, "es")
        return value.strip()

    @field_validator("index_prefix", "snapshot_repository")
    @classmethod
    def _es_name(cls, value: str) -> str:
        if not _INDEX_PREFIX.match(value):
            raise ValueError("lower-case letters, digits, '-' and '_' only, starting with a letter or digit")
        return value

    @field_validator("snapshot_location")
    @classmethod
    def _location(cls, value: str) -> str:
        if value.strip() and not value.strip().startswith("/"):
            raise ValueError("an absolute path on the Elasticsearch nodes (one listed in their path.repo)")
        return value.strip()

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> EsSettings:
        if self.api_key and (self.username or self.password):
            raise ValueError("set either es.api_key or es.username/es.password, not both")
        if bool(self.username) != bool(self.password):
            raise ValueError("es.username and es.password go together")
        if self.ca_certs and not all(h.startswith("https://") for h in self.hosts):
            raise ValueError("es.ca_certs needs https:// URLs in es.url")
        return self

    @property
    def hosts(self) -> list[str]:
        return [u.strip() for u in self.url.split(",") if u.strip()]


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    page_size_max: int = Field(default=200, ge=1, le=1000)
    # The ticket board and the alert list are served from a cache this many seconds (0: never);
    # any change made through this process shows at once.
    cache_seconds: float = Field(default=2.0, ge=0, le=60)
    # Request bodies larger than this are refused with 413 before they are read (clipping
    # uploads have their own limit, clippings.max_upload_mb).
    max_body_kb: int = Field(default=1024, ge=16, le=100 * 1024)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (the client address is what
    # login rate limits count): comma-separated addresses or networks, or "*".
    forwarded_allow_ips: str = "127.0.0.1"


class ClippingSettings(_Section):
    """Newspaper, TV and radio clippings entered by staff (CSV or XLSX)."""

    max_upload_mb: float = Field(default=5.0, gt=0, le=100)
    max_rows: int = Field(default=5000, ge=1, le=100_000)


class NlpSettings(_Section):
    # "linear": our trained model (nlp/models/sentiment-v1.npz); "snownlp": the baseline.
    sentiment_model: Literal["linear", "snownlp"] = "linear"
    # "trained": rules combined with the shipped category model; "rules": rules alone.
    category_model: Literal["trained", "rules"] = "trained"
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
    clippings: ClippingSettings = ClippingSettings()
    sites: SitesSettings = SitesSettings()
    es: EsSettings = EsSettings()
    alerts: AlertSettings = AlertSettings()
    tickets: TicketSettings = TicketSettings()
    departments: dict[str, DepartmentSettings] = DEFAULT_DEPARTMENTS
    notify: NotifySettings = NotifySettings()
    auth: AuthSettings = AuthSettings()
    reports: ReportSettings = ReportSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    kibana: KibanaSettings = KibanaSettings()
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
        return _EsUrlEnv(settings_cls), env_settings, init_settings, file_secret_settings


class _EsUrlEnv(PydanticBaseSettingsSource):
    """$YUQING_ES_URL as es.url (the nested form YUQING_ES__URL works too; this one wins)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        url = os.environ.get(ES_URL_ENV, "").strip()
        return {"es": {"url": url}} if url else {}


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


def secrets_path(config: Path) -> Path:
    """The secrets file: $YUQING_SECRETS_FILE, else secrets.toml beside the config file."""
    return Path(os.environ.get(SECRETS_ENV) or config.parent / "secrets.toml")


def _read_secrets(path: Path, explicit: bool) -> dict[str, Any]:
    """Cookies, tokens and signer keys kept out of the config file (same layout, chmod 600)."""
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: secrets file not found")
        return {}
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ConfigError(f"{path}: secrets file is readable by other users (run: chmod 600 {path})")
    return _read_toml(path)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | str | None = None) -> Settings:
    """Settings from the file (when it exists), the secrets file and the environment;
    ConfigError if invalid."""
    file = config_path(path)
    explicit = bool(path or os.environ.get(CONFIG_ENV))
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: config file not found")
        values: dict[str, Any] = {}
    else:
        values = _read_toml(file)
    values = _merge(values, _read_secrets(secrets_path(file), bool(os.environ.get(SECRETS_ENV))))
    try:
        return Settings(**values)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{file}: {_describe(errors[0])}{more}") from None


def check_config(path: Path | str | None = None) -> tuple[Settings | None, list[str]]:
    """Like `load_settings`, but every problem, one line each, instead of the first only."""
    file = config_path(path)
    explicit = bool(path or os.environ.get(CONFIG_ENV))
    try:
        if not file.exists() and explicit:
            raise ConfigError(f"{file}: config file not found")
        values = _read_toml(file) if file.exists() else {}
        values = _merge(values, _read_secrets(secrets_path(file), bool(os.environ.get(SECRETS_ENV))))
    except ConfigError as exc:
        return None, [str(exc)]
    try:
        return Settings(**values), []
    except ValidationError as exc:
        return None, [f"{file}: {_describe(error)}" for error in exc.errors()]


@lru_cache(maxsize=1)
def cached_settings() -> Settings:
    """Process-wide settings for the CLI and the service (tests build their own)."""
    return load_settings()
