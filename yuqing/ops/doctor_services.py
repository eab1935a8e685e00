"""`yuqing doctor`'s checks of what runs beside the service: the mention index, the relational
database and the notification channels (see yuqing/ops/doctor.py)."""

from __future__ import annotations

import smtplib
import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

from yuqing.ops.doctor import Finding, Options, failed, first_line, ok, warn
from yuqing.settings import Settings
from yuqing.settings_ops import ChannelSettings, SmtpSettings
from yuqing.smtp import connected


# -- the mention index ---------------------------------------------------------------------
def check_index(settings: Settings, options: Options) -> list[Finding]:
    return _elasticsearch(settings) if settings.es.url else _sqlite_index(settings.storage.mentions_db, options)


def _sqlite_index(path: Path, options: Options) -> list[Finding]:
    from store.sqlite_schema import SCHEMA_VERSION

    area = "mention index"
    if not path.is_file():
        return [failed(area, f"{path} does not exist: run yuqing init")]
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0] if options.deep else ""
            count = conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] if version else 0
    except sqlite3.Error as exc:
        return [failed(area, f"{path}: cannot be read as SQLite ({first_line(exc)})")]
    if version > SCHEMA_VERSION:
        return [failed(area, f"{path}: schema {version} was written by a newer yuqing (this one knows "
                             f"{SCHEMA_VERSION})")]
    if version < SCHEMA_VERSION:
        return [failed(area, f"{path}: schema {version}, this yuqing upgrades it to {SCHEMA_VERSION} on start "
                             "(yuqing init)")]
    if verdict and verdict != "ok":
        return [failed(area, f"{path}: PRAGMA quick_check: {verdict} — restore the last backup")]
    found = [ok(area, f"SQLite {path}: schema {version}, {count:,} mentions"
                      f"{', quick_check ok' if verdict else ''}")]
    if journal.lower() != "wal":
        found.append(warn(area, f"{path}: journal mode {journal}, not WAL: readers will wait for writers "
                                "(the service switches it on start)"))
    return found


def _elasticsearch(settings: Settings) -> list[Finding]:
    from elasticsearch import ApiError, TransportError

    from store.base import StoreError
    from store.es_client import check, describe, make_client
    from store.es_schema import MAPPING_VERSION

    area, es = "mention index", settings.es
    try:
        client = make_client(es)
        version = check(client, es)
    except StoreError as exc:
        return [failed(area, str(exc))]
    found: list[Finding] = []
    try:
        health = client.cluster.health(index=f"{es.index_prefix}-*", timeout="5s").body
        template = client.options(ignore_status=404).indices.get_index_template(name=es.index_prefix)
        templates = template.body.get("index_templates", []) if template.meta.status == 200 else []
        has_alias = bool(client.indices.exists_alias(name=es.index_prefix))
    except (ApiError, TransportError) as exc:
        return [failed(area, describe(exc, es.hosts, es.request_timeout))]
    finally:
        client.close()
    status = health.get("status", "red")
    text = (f"Elasticsearch {version} at {', '.join(es.hosts)}: our indices {status} ({health.get('active_shards', 0)} "
            f"shards active, {health.get('unassigned_shards', 0)} unassigned)")
    if status == "red":
        found.append(failed(area, f"{text}: some of our data cannot be searched or written"))
    elif status == "yellow" and es.replicas > 0:
        found.append(warn(area, f"{text}: replicas unassigned (es.replicas = {es.replicas}; 0 on a single node)"))
    else:
        found.append(ok(area, text))
    mapping = templates[0]["index_template"].get("_meta", {}).get("yuqing_mapping") if templates else None
    if mapping != MAPPING_VERSION:
        state = "missing" if not templates else f"at mapping v{mapping}"
        found.append(failed(area, f"index template {es.index_prefix} {state}, this yuqing needs v{MAPPING_VERSION}: "
                                  "run yuqing es init"))
    if not has_alias:
        found.append(failed(area, f"alias {es.index_prefix} missing: run yuqing es init"))
    from yuqing.ops.doctor_snapshots import check_snapshots

    return found + _outbox(settings) + check_snapshots(es)


def _outbox(settings: Settings) -> list[Finding]:
    from store.outbox import Outbox, OutboxStatus

    path = settings.storage.es_outbox_db
    if not path.exists():
        return []
    outbox = Outbox(path)
    try:
        counts = outbox.counts()
    finally:
        outbox.close()
    pending, rejected = counts[OutboxStatus.pending], counts[OutboxStatus.rejected]
    if rejected:
        return [warn("outbox", f"{rejected} mentions refused by Elasticsearch wait for a decision "
                               "(yuqing es outbox; --retry-rejected or --discard ID)")]
    if pending:
        return [warn("outbox", f"{pending} mentions wait for Elasticsearch (replayed every 5 minutes)")]
    return [ok("outbox", "empty")]


# -- the relational database ---------------------------------------------------------------
def check_database(settings: Settings, options: Options) -> list[Finding]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from alerts.db import database_url
    from alerts.migrate import current, head

    url = database_url(settings)
    shown = make_url(url).render_as_string(hide_password=True)
    is_pg = url.startswith("postgresql")
    area = "database"
    if not is_pg and not settings.storage.alerts_db.is_file():
        return [failed(area, f"{settings.storage.alerts_db} does not exist: run yuqing init")]
    connect_args = {"connect_timeout": max(1, int(options.timeout))} if is_pg else {"timeout": options.timeout}
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar() if is_pg else None
        at, newest = current(engine), head()
    except Exception as exc:
        what = "PostgreSQL unreachable" if is_pg else "cannot be opened"
        return [failed(area, f"{shown}: {what}: {first_line(getattr(exc, 'orig', None) or exc)}")]
    finally:
        engine.dispose()
    found = [ok("postgresql", f"{shown}: reachable, server {server}")] if is_pg else []
    if not at:
        return [*found, failed(area, f"{shown}: no schema yet: run yuqing init (or yuqing db upgrade)")]
    if at == newest:
        return [*found, ok(area, f"{shown}: schema at the newest migration ({at})")]
    from alembic.script import ScriptDirectory

    from alerts.migrate import alembic_config

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if at not in known:
        return [*found, failed(area, f"{shown}: at migration {at}, unknown to this yuqing (newest {newest}): "
                                     "written by a newer version?")]
    return [*found, failed(area, f"{shown}: at migration {at}, newest is {newest}: run yuqing db upgrade")]


# -- notification channels -----------------------------------------------------------------
def check_notify(settings: Settings, options: Options) -> list[Finding]:
    found: list[Finding] = []
    smtp_needed = bool(settings.reports.enabled and settings.reports.recipients)
    for name, channel in settings.notify.channels.items():
        area = f"notify.channels.{name}"
        if not channel.enabled:
            found.append(ok(area, "disabled"))
        elif channel.kind == "email":
            found.append(_smtp(area, settings.notify.smtp, channel.to, options))
            smtp_needed = False  # the same server, just checked
        else:
            found.append(_webhook(area, channel, options))
    if smtp_needed:
        found.append(_smtp("reports", settings.notify.smtp, settings.reports.recipients, options))
    return found or [ok("notify", "no channels configured: nobody is notified (see [notify.channels.*])")]


def _smtp(area: str, smtp: SmtpSettings, to: list[str], options: Options) -> Finding:
    """A dry run: EHLO, STARTTLS, login, MAIL FROM and RCPT TO for every address, then RSET."""
    where = f"SMTP {smtp.host}:{smtp.port}"
    try:
        with connected(smtp, timeout=options.timeout) as server:
            code, _ = server.mail(smtp.sender)
            if code != 250:
                return failed(area, f"{where} refused the sender {smtp.sender} (SMTP {code})")
            refused = [address for address in to if server.rcpt(address)[0] not in (250, 251)]
            server.rset()
    except smtplib.SMTPAuthenticationError as exc:
        return failed(area, f"{where} refused the login of {smtp.username} (SMTP {exc.smtp_code}): check the "
                            "password (YUQING_NOTIFY__SMTP__PASSWORD)")
    except smtplib.SMTPResponseException as exc:
        return failed(area, f"{where}: SMTP {exc.smtp_code} ({type(exc).__name__})")
    except (smtplib.SMTPException, OSError) as exc:
        return failed(area, f"{where}: {type(exc).__name__} ({getattr(exc, 'strerror', None) or 'no answer'})")
    if refused:
        return failed(area, f"{where} refused {len(refused)} of {len(to)} recipients: {', '.join(refused)}")
    return ok(area, f"{where}: login and {len(to)} recipients accepted (dry run, nothing sent)")


def _webhook(area: str, channel: ChannelSettings, options: Options) -> Finding:
    url = channel.url.get_secret_value() if channel.url else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return failed(area, f"{channel.kind} webhook URL is not an http(s) URL")
    host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if options.send_test:
        return _send_test(area, channel, host, options)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=options.timeout).close()
    except OSError as exc:
        return failed(area, f"{channel.kind} robot at {host} unreachable ({exc.strerror or type(exc).__name__})")
    plain = " over plain http (the key travels unencrypted)" if parts.scheme == "http" else ""
    result = warn if plain else ok
    return result(area, f"{channel.kind} robot at {host} reachable{plain} (no message sent; --send-test sends one)")


def _send_test(area: str, channel: ChannelSettings, host: str, options: Options) -> Finding:
    import httpx

    from alerts.notify.channels import DeliveryError, send_webhook

    with httpx.Client(timeout=options.timeout) as client:
        try:
            send_webhook(client, channel, "【舆情监测】通知渠道测试",
                         "这是 yuqing doctor --send-test 发送的测试消息，无需处理。")
        except DeliveryError as exc:
            return failed(area, f"{channel.kind} robot at {host}: test message refused: {exc}")
    return ok(area, f"{channel.kind} robot at {host}: test message delivered")
