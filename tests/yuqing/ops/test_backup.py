"""`yuqing backup` / `yuqing restore`: a backup taken while writers ingest mentions, open tickets
and move high-water marks holds every record committed before it started, in databases that
pass PRAGMA integrity_check; restores refuse damaged archives, foreign paths and a data
directory in use, and never delete what they replace."""

from __future__ import annotations

import gzip
import io
import sqlite3
import tarfile
import threading
import time
import zlib
from contextlib import closing, suppress
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alerts.actor import SYSTEM
from alerts.db import now_shanghai, open_database
from alerts.migrate import current, head
from alerts.tickets.models import Ticket
from alerts.tickets.service import open_ticket
from crawlers.state import CrawlState
from store.evidence import Evidence, EvidenceStore
from store.sqlite import SQLiteStore
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.cli import app
from yuqing.ops.backup import BackupError, backups_in, make_backup
from yuqing.ops.restore import restore_backup, verify_backup
from yuqing.ops.runlock import RunLock
from yuqing.settings import Settings
from yuqing.wiring import build_ingestor, query_tokenizer

TEXTS = ["泰山港华燃气岱岳区停气三天，客服电话打不通", "泰安燃气费这个月贵了一倍，表是不是坏了",
         "天平街道燃气管道施工，路面挖开一周没人管", "今天去泰山看日出，天气很好"]


class Writers:
    """Ingest, tickets and crawl marks written continuously from three threads; every id is
    noted only after its transaction committed."""

    def __init__(self, settings: Settings, analyzer) -> None:
        self.settings, self.analyzer = settings, analyzer
        self.stop = threading.Event()
        self.mentions: list[str] = []
        self.tickets: list[int] = []
        self.marks: list[tuple[str, str]] = []
        self.evidence: list[str] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._guard, args=(work,), daemon=True)
                        for work in (self._ingest, self._tickets, self._marks)]

    def _guard(self, work) -> None:
        try:
            work()
        except BaseException as exc:  # the test reports it
            self.errors.append(exc)

    def _ingest(self) -> None:
        ingestor = build_ingestor(self.settings)
        ingestor.analyzer = self.analyzer
        evidence = EvidenceStore(self.settings.storage.evidence_dir)
        n = 0
        while not self.stop.is_set():
            n += 1
            item = mention(n, f"{TEXTS[n % len(TEXTS)]}（第{n}条）", hours_ago=n / 100)
            ingestor.ingest([item])
            self.mentions.append(item.id)
            evidence.put(item.id, Evidence(url=f"https://m.weibo.cn/detail/{n}", fetched_at=now_shanghai(),
                                           body=f"response {n}".encode()))
            self.evidence.append(item.id)
        evidence.close()
        ingestor.close()

    def _tickets(self) -> None:
        db = open_database(self.settings)
        while not self.stop.is_set():
            with db.write() as session:
                ticket = open_ticket(session, title=f"工单 {len(self.tickets)}", settings=self.settings, actor=SYSTEM,
                                     now=now_shanghai(), level="yellow", category="billing", department="customer")
                session.flush()
                ticket_id = ticket.id
            self.tickets.append(ticket_id)
        db.close()

    def _marks(self) -> None:
        state = CrawlState(self.settings.storage.crawl_state_db)
        n = 0
        while not self.stop.is_set():
            n += 1
            state.set_mark("weibo", f"关键词{n % 50}", str(n))
            self.marks.append((f"关键词{n % 50}", str(n)))
            time.sleep(0.001)
        state.close()

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        assert not self.errors, self.errors  # no "database is locked", nothing else


def snapshot(writers: Writers) -> dict[str, list]:
    return {"mentions": list(writers.mentions), "tickets": list(writers.tickets), "marks": list(writers.marks),
            "evidence": list(writers.evidence)}


def test_a_backup_taken_under_write_load_restores_every_committed_record(tmp_path: Path, analyzer) -> None:
    settings = make_settings(tmp_path / "live")
    CliRunner().invoke(app, ["init"], env={"YUQING_STORAGE__DATA_DIR": str(settings.storage.data_dir)})
    with Writers(settings, analyzer) as writers:
        while len(writers.mentions) < 20 or len(writers.tickets) < 50:
            time.sleep(0.05)
        before = snapshot(writers)  # all of it committed before the backup starts
        archive = make_backup(settings, tmp_path / "backups")
        during = len(writers.tickets) - len(before["tickets"])
    assert during > 0, "the writers kept writing while the backup ran"
    assert archive.path.name.startswith("yuqing-backup-") and "integrity ok" in archive.summary

    restored = make_settings(tmp_path / "restored")
    done = restore_backup(restored, archive.path)
    assert done.moved_aside is None and "mentions.sqlite" in done.restored
    data = restored.storage.data_dir
    for name in ("mentions.sqlite", "yuqing.sqlite", "crawl_state.sqlite", "evidence/evidence.sqlite"):
        with closing(sqlite3.connect(data / name)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", name
    with SQLiteStore(data / "mentions.sqlite", query_tokenizer(restored)) as store:
        missing = [m for m in before["mentions"] if store.get(m) is None]
    assert not missing
    db = open_database(restored, migrate=False)
    assert current(db.engine) == head()
    with db.read() as session:
        kept = set(session.scalars(select(Ticket.id)))
    db.close()
    assert set(before["tickets"]) <= kept
    state = CrawlState(data / "crawl_state.sqlite")
    marks = state.marks("weibo")
    state.close()
    latest = {key: value for key, value in before["marks"]}
    assert all(int(marks[key]) >= int(value) for key, value in latest.items())  # at least as far as before
    with EvidenceStore(data / "evidence") as evidence:
        for mention_id in before["evidence"]:
            (record,) = evidence.records(mention_id)
            assert evidence.body(record.sha256).startswith(b"response ")


@pytest.fixture
def backed_up(tmp_path: Path, analyzer) -> tuple[Settings, Path]:
    settings = make_settings(tmp_path / "data")
    ingestor = build_ingestor(settings)
    ingestor.analyzer = analyzer
    ingestor.ingest([mention(1, TEXTS[0]), mention(2, TEXTS[1])])
    ingestor.close()
    return settings, make_backup(settings, tmp_path / "backups").path


def test_restore_refuses_a_running_service_unless_forced_and_keeps_what_it_replaces(backed_up) -> None:
    settings, archive = backed_up
    data = settings.storage.data_dir
    service = RunLock(data).share()  # `yuqing run` holds this while it runs
    try:
        with pytest.raises(BackupError, match="in use by a running yuqing"):
            restore_backup(settings, archive)
        result = CliRunner().invoke(app, ["restore", str(archive)], env={"YUQING_STORAGE__DATA_DIR": str(data)})
        assert result.exit_code == 2 and "stop the service first" in result.output
        forced = restore_backup(settings, archive, force=True)
        assert any("restart the service now" in note for note in forced.notes)
    finally:
        service.release()
    done = restore_backup(settings, archive)
    aside = done.moved_aside
    assert aside is not None and (aside / "mentions.sqlite").is_file() and (aside / "yuqing.sqlite").is_file()
    assert not list(data.glob("*.sqlite-wal"))  # no old journal beside a restored database


def test_a_damaged_or_foreign_archive_changes_nothing(backed_up, tmp_path: Path) -> None:
    settings, archive = backed_up
    data = settings.storage.data_dir
    before = {p: p.read_bytes() for p in data.rglob("*.sqlite")}
    # A flipped byte fails in different places (deflate data, a tar header, the manifest, a
    # member's checksum, gzip's CRC and length at the end) depending on where it lands: try
    # many. A flip that leaves the content as it was (the gzip header's time stamp and file
    # name, an unused Huffman code) damages nothing, and restoring it would be right.
    original = archive.read_bytes()
    content = gzip.decompress(original)
    for position in range(0, len(original), max(1, len(original) // 80)):
        raw = bytearray(original)
        raw[position] ^= 0xFF
        with suppress(OSError, EOFError, zlib.error):
            if gzip.decompress(bytes(raw)) == content:
                continue
        damaged = tmp_path / "damaged.tar.gz"
        damaged.write_bytes(bytes(raw))
        with pytest.raises(BackupError, match=r"damaged|checksum|cannot be read|manifest"):
            restore_backup(settings, damaged)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(foreign, "w:gz") as out:
        for member in source:  # the same manifest, plus a file reaching out of the data directory
            out.addfile(member, source.extractfile(member))
        evil = tarfile.TarInfo("../../outside.txt")
        evil.size = 4
        out.addfile(evil, io.BytesIO(b"evil"))
    with pytest.raises(BackupError, match="unexpected member"):
        restore_backup(settings, foreign)
    assert not (tmp_path / "outside.txt").exists()
    with pytest.raises(BackupError, match="no readable manifest"):
        plain = tmp_path / "plain.tar.gz"
        with tarfile.open(plain, "w:gz") as out:
            out.add(archive, arcname="something")
        verify_backup(plain)
    assert {p: p.read_bytes() for p in data.rglob("*.sqlite")} == before
    assert verify_backup(archive)["format"] == 1


def test_the_commands_and_rotation(tmp_path: Path) -> None:
    env = {"YUQING_STORAGE__DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    assert runner.invoke(app, ["backup", str(tmp_path / "b")], env=env).exit_code == 2  # nothing to back up yet
    runner.invoke(app, ["init"], env=env)
    for n in range(3):
        result = runner.invoke(app, ["backup", str(tmp_path / "b"), "--keep", "2"], env=env)
        assert result.exit_code == 0, result.output
        if n < 2:
            time.sleep(1.1)  # archives are named by the second
    assert len(backups_in(tmp_path / "b")) == 2 and "removed old backup" in result.output
    newest = backups_in(tmp_path / "b")[-1]
    check = runner.invoke(app, ["restore", "--check", str(newest)], env=env)
    assert check.exit_code == 0 and "OK" in check.output


def test_postgresql_and_elasticsearch_are_named_as_backed_up_elsewhere(tmp_path: Path) -> None:
    from yuqing.settings import AlertSettings, EsSettings

    settings = make_settings(tmp_path / "data", alerts=AlertSettings(database_url="postgresql+psycopg://u:p@h/db"),
                             es=EsSettings(url="http://127.0.0.1:9"))
    settings.storage.data_dir.mkdir(parents=True)
    CrawlState(settings.storage.crawl_state_db).close()
    archive = make_backup(settings, tmp_path / "b")
    assert any("pg_dump" in note for note in archive.notes) and any("snapshot" in note for note in archive.notes)
    assert [f["name"] for f in verify_backup(archive.path)["files"]] == ["crawl_state.sqlite"]
