"""A throwaway PostgreSQL server from the Debian package's binaries, for tests and benchmarks.

    python tools/pg_server.py run --workdir /tmp/pg     # prints the URL, stops on Ctrl-C

`initdb` into a temporary directory, `pg_ctl start` on a free loopback port with durability
switched off (the data is thrown away), `pg_ctl stop` at the end. PostgreSQL refuses to run
as root, so when we are root the server runs as the `postgres` user the package created.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=200 -c shared_buffers=128MB")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed (or cannot run here)."""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl: $PG_BINDIR, the newest Debian version, or PATH."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                         reverse=True)
    which = shutil.which("initdb")
    candidates.append(str(Path(which).resolve().parent) if which else "")
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                              "install them with: apt-get install -y postgresql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    workdir: Path
    port: int
    bindir: Path
    owned_workdir: bool = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {(done.stderr or done.stdout).strip()[-500:]}")
        return done

    def start(self) -> PostgresServer:
        data = self.workdir / "data"
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user") from None
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self._start(data)
        return self

    def _start(self, data: Path) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 {SERVER_OPTIONS}"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.workdir / "server.log"),
                  "-w", "-t", "60", "start")
        self._wait()

    def shut_down(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data (`fast`: sessions are ended, open transactions
        rolled back; `immediate`: as if it crashed, recovered from the WAL on the next start)."""
        self._run("pg_ctl", "-D", str(self.workdir / "data"), "-m", mode, "-w", "-t", "60", "stop")

    def postmaster_pid(self) -> int:
        """The running postmaster's process id (first line of postmaster.pid)."""
        return int((self.workdir / "data" / "postmaster.pid").read_text().split()[0])

    def children(self) -> dict[int, str]:
        """The postmaster's child processes (backends and helpers): pid -> process title."""
        parent, found = self.postmaster_pid(), {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:  # fields: state, ppid, ...
                    title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    found[int(stat.parent.name)] = title.strip()
        return found

    def crash(self, timeout: float = 30) -> None:
        """SIGKILL the postmaster and every child at once, as the OOM killer or a failed unit's
        clean-up would; the next `start_again` recovers from the WAL. (A process crash: what the
        server wrote is in the page cache, so fsync=off does not matter here.)"""
        victims = [self.postmaster_pid(), *self.children()]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in victims):
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"PostgreSQL processes still alive {timeout} s after SIGKILL")
            time.sleep(0.05)

    def kill_backend(self, database: str = "") -> int:
        """SIGKILL one client backend (one busy in a statement if there is one); the postmaster
        then ends every other session and recovers by itself. Returns the pid killed."""
        backends = {pid: title for pid, title in self.children().items()
                    if title.startswith(f"postgres: postgres {database}") and "127.0.0.1(" in title}
        if not backends:
            raise PostgresUnavailable("no client backend to kill")
        busy = [pid for pid, title in backends.items() if not title.endswith(" idle")]
        victim = (busy or sorted(backends))[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def start_again(self) -> None:
        """Start a server stopped by `shut_down` on the same port with the same data."""
        self._start(self.workdir / "data")

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not listen on port {self.port}")

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.workdir / "data"), "-m", "immediate", "-w", "stop", timeout=60)
        if self.owned_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _state(pid: int) -> str:
    """A process's state letter (Z: a zombie, dead but not yet reaped), "" if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def start_server(workdir: Path | None = None) -> PostgresServer:
    """Start a fresh server; the caller must call `stop()`. PostgresUnavailable if it cannot."""
    bindir = find_bindir()
    owned = workdir is None
    # The postgres user must reach the directory: keep it directly under /tmp, not in a
    # private test directory.
    directory = Path(tempfile.mkdtemp(prefix="yuqing-pg-")) if workdir is None else workdir
    directory.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(directory, free_port(), bindir, owned)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    server = start_server(args.workdir)
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
