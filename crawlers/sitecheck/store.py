"""Where site-check runs, results, incidents and crawl findings are kept (SQLAlchemy 2,
one SQLite file in the data directory by default). Self-contained: its own metadata and
tables (`site_*`), so it can share a database with other stages without touching theirs.

Times are stored as naive UTC and returned in Asia/Shanghai.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from crawlers.sitecheck.records import CheckResult, CheckStatus, CrawlProblem, CrawlReport, Incident, WindowStats
from yuqing.records import SHANGHAI

WINDOWS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)))


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "site_check_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    checked: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)


class ResultRow(Base):
    __tablename__ = "site_check_results"
    __table_args__ = (Index("ix_site_results_target_time", "target", "checked_at"),
                      Index("ix_site_results_time", "checked_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("site_check_runs.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(Integer)
    cert_days_left: Mapped[float | None] = mapped_column(Float)
    checked_at: Mapped[datetime] = mapped_column(DateTime)


class IncidentRow(Base):
    __tablename__ = "site_incidents"
    __table_args__ = (Index("ix_site_incidents_target", "target", "recovered_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    alert_ref: Mapped[str | None] = mapped_column(String(200))
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime)


class CrawlRunRow(Base):
    __tablename__ = "site_crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_urls: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    pages: Mapped[int] = mapped_column(Integer)
    resources: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)


class CrawlProblemRow(Base):
    __tablename__ = "site_crawl_problems"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("site_crawl_runs.id", ondelete="CASCADE"), index=True)
    page: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)


def _sqlite_pragmas(connection, _record) -> None:
    """WAL, so the API reads while the scheduler writes; wait for a lock instead of failing."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _db(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI) if value is not None else None


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return round(sorted_values[rank - 1], 1)


def _result(row: ResultRow) -> CheckResult:
    return CheckResult(target=row.target, kind=row.kind, url=row.url, final_url=row.final_url,
                       status=row.status, reason=row.reason, detail=row.detail, http_status=row.http_status,
                       latency_ms=row.latency_ms, size=row.size, cert_days_left=row.cert_days_left,
                       checked_at=_local(row.checked_at))


def _incident(row: IncidentRow) -> Incident:
    return Incident(id=row.id, target=row.target, opened_at=_local(row.opened_at), reason=row.reason,
                    detail=row.detail, alert_ref=row.alert_ref, recovered_at=_local(row.recovered_at))


class SiteStore:
    """Runs, results, incidents and crawl findings in one SQL database."""

    def __init__(self, path_or_url: Path | str) -> None:
        url = str(path_or_url)
        if "://" not in url:
            Path(url).parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{url}"
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_run(self, results: Sequence[CheckResult], *, started_at: datetime, finished_at: datetime,
                 keep_days: int | None = None) -> int:
        """Store one run and its results (pruning results older than keep_days); the run id."""
        with Session(self.engine) as session, session.begin():
            run = RunRow(started_at=_db(started_at), finished_at=_db(finished_at), checked=len(results),
                         failed=sum(not r.ok for r in results))
            session.add(run)
            session.flush()
            session.add_all(ResultRow(run_id=run.id, target=r.target, kind=r.kind, url=r.url,
                                      final_url=r.final_url, status=r.status, reason=r.reason, detail=r.detail,
                                      http_status=r.http_status, latency_ms=r.latency_ms, size=r.size,
                                      cert_days_left=r.cert_days_left, checked_at=_db(r.checked_at))
                            for r in results)
            if keep_days:
                cutoff = _db(finished_at - timedelta(days=keep_days))
                session.execute(delete(ResultRow).where(ResultRow.checked_at < cutoff))
                session.execute(delete(RunRow).where(RunRow.finished_at < cutoff))
            return run.id

    def recent(self, target: str, limit: int = 20) -> list[CheckResult]:
        """The target's latest results, newest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ResultRow).where(ResultRow.target == target)
                                   .order_by(ResultRow.checked_at.desc(), ResultRow.id.desc()).limit(limit))
            return [_result(row) for row in rows]

    def latest(self) -> dict[str, CheckResult]:
        """Each target's newest result."""
        with Session(self.engine) as session:
            newest = select(func.max(ResultRow.id)).group_by(ResultRow.target).scalar_subquery()
            rows = session.scalars(select(ResultRow).where(ResultRow.id.in_(newest)))
            return {row.target: _result(row) for row in rows}

    def stats(self, *, now: datetime, targets: Iterable[str] | None = None) -> dict[str, list[WindowStats]]:
        """Uptime and latency percentiles per target over 24 h, 7 d and 30 d before `now`."""
        since = _db(now - WINDOWS[-1][1])
        query = (select(ResultRow.target, ResultRow.checked_at, ResultRow.status, ResultRow.latency_ms,
                        ResultRow.http_status)
                 .where(ResultRow.checked_at >= since, ResultRow.checked_at <= _db(now)))
        rows: dict[str, list[tuple]] = defaultdict(list)
        with Session(self.engine) as session:
            for target, at, status, latency, http_status in session.execute(query):
                rows[target].append((at, status, latency if http_status is not None else None))
        names = list(targets) if targets is not None else sorted(rows)
        return {name: [self._window(rows.get(name, []), label, _db(now - span)) for label, span in WINDOWS]
                for name in names}

    @staticmethod
    def _window(rows: list[tuple], label: str, since: datetime) -> WindowStats:
        inside = [r for r in rows if r[0] >= since]
        ok = sum(r[1] == CheckStatus.ok for r in inside)
        latencies = sorted(r[2] for r in inside if r[2] is not None)
        return WindowStats(window=label, checks=len(inside), ok=ok,
                           uptime=round(100 * ok / len(inside), 2) if inside else None,
                           p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
                           p99_ms=percentile(latencies, 99),
                           first_at=_local(min(r[0] for r in inside)) if inside else None)

    # incidents ---------------------------------------------------------------------------

    def open_incidents(self) -> dict[str, Incident]:
        with Session(self.engine) as session:
            rows = session.scalars(select(IncidentRow).where(IncidentRow.recovered_at.is_(None)))
            return {row.target: _incident(row) for row in rows}

    def incidents(self, target: str, limit: int = 20) -> list[Incident]:
        with Session(self.engine) as session:
            rows = session.scalars(select(IncidentRow).where(IncidentRow.target == target)
                                   .order_by(IncidentRow.opened_at.desc()).limit(limit))
            return [_incident(row) for row in rows]

    def incidents_between(self, since: datetime, until: datetime) -> list[Incident]:
        """Incidents open at any time in [since, until), oldest first (for reports)."""
        with Session(self.engine) as session:
            rows = session.scalars(select(IncidentRow).where(
                IncidentRow.opened_at < _db(until),
                (IncidentRow.recovered_at.is_(None)) | (IncidentRow.recovered_at >= _db(since)))
                .order_by(IncidentRow.opened_at, IncidentRow.id))
            return [_incident(row) for row in rows]

    def open_incident(self, *, target: str, opened_at: datetime, reason: str, detail: str,
                      alert_ref: str | None) -> Incident:
        with Session(self.engine) as session, session.begin():
            row = IncidentRow(target=target, opened_at=_db(opened_at), reason=reason, detail=detail,
                              alert_ref=alert_ref)
            session.add(row)
            session.flush()
            return _incident(row)

    def recover_incident(self, incident_id: int, *, at: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.get_one(IncidentRow, incident_id).recovered_at = _db(at)

    # crawl -------------------------------------------------------------------------------

    def save_crawl(self, report: CrawlReport) -> int:
        with Session(self.engine) as session, session.begin():
            run = CrawlRunRow(start_urls=report.start_urls, started_at=_db(report.started_at),
                              finished_at=_db(report.finished_at), pages=report.pages,
                              resources=report.resources, skipped=report.skipped)
            session.add(run)
            session.flush()
            session.add_all(CrawlProblemRow(run_id=run.id, page=p.page, url=p.url, resource=p.resource,
                                            http_status=p.http_status, reason=p.reason, detail=p.detail)
                            for p in report.problems)
            return run.id

    def latest_crawl(self) -> CrawlReport | None:
        with Session(self.engine) as session:
            run = session.scalars(select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(1)).first()
            if run is None:
                return None
            problems = session.scalars(select(CrawlProblemRow).where(CrawlProblemRow.run_id == run.id)
                                       .order_by(CrawlProblemRow.id))
            return CrawlReport(start_urls=run.start_urls, started_at=_local(run.started_at),
                               finished_at=_local(run.finished_at), pages=run.pages, resources=run.resources,
                               skipped=run.skipped,
                               problems=[CrawlProblem(page=p.page, url=p.url, resource=p.resource,
                                                      http_status=p.http_status, reason=p.reason, detail=p.detail)
                                         for p in problems])
