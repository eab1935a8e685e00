#!/usr/bin/env python3
"""A real single-node Elasticsearch 8.x for tests, run from Maven Central jars.

The Java side lives in tools/es-node (an embedded-node launcher built with Maven); this module
builds it on demand and manages the JVM process. Standard library only, so it works before any
project dependency is installed.

    from tools.es_node import EsNode, unavailable_reason
    with EsNode(tmp_path / "es") as node:
        client = Elasticsearch(node.url)

CLI:
    python tools/es_node.py build [--force]
    python tools/es_node.py run --workdir DIR [--port N] [--heap 768m]
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent / "es-node"
TARGET_DIR = PROJECT_DIR / "target"
CLASSPATH_FILE = TARGET_DIR / "classpath.txt"
STAMP_FILE = TARGET_DIR / "es-node.stamp"
MAIN_CLASS = "yuqing.esnode.EsNodeMain"

# Files inside the work directory (path.home of the node).
PORT_FILE = "http.port"  # written by the JVM once HTTP is bound, removed on clean shutdown
LAST_PORT_FILE = "last-http.port"  # kept by us so a restart reuses the URL
LAUNCHER_LOG = "launcher.log"  # JVM stdout/stderr: startup failures land here
NODE_LOG = Path("logs") / "yuqing-test.log"  # the node's own log (see yuqing-es-log4j2.properties)
SNAPSHOTS_DIR = "snapshots"  # the node's default path.repo: where snapshot repositories may live

# JVM flags, mostly the ones the stock distribution sets for itself (SystemJvmOptions).
JVM_FLAGS = [
    # C1 only: test nodes live for seconds to minutes, and skipping C2 measured ~2x faster
    # start-to-ready (about 2.8 s vs 5 s) and a faster test module overall. Drop it for benchmarks.
    "-XX:TieredStopAtLevel=1",
    "-Xss1m",
    "-XX:-OmitStackTraceInFastThrow",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    # The launcher flushes log4j itself after the node has closed, so closing can still log.
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j2.formatMsgNoLookups=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
]


class EsNodeError(RuntimeError):
    """The node could not be built, started or reached."""


def _java() -> str | None:
    # Same rule as mvn: JAVA_HOME first, so the build and the run use one JDK.
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return shutil.which("java")


def _mvn() -> str | None:
    return shutil.which("mvn")


def _sources_digest() -> str:
    """Hash of the pom and every source/resource file: the build is redone when it changes."""
    h = hashlib.sha256()
    files = [PROJECT_DIR / "pom.xml", *sorted(p for p in (PROJECT_DIR / "src").rglob("*") if p.is_file())]
    for path in files:
        h.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _classpath() -> list[str]:
    deps = CLASSPATH_FILE.read_text().strip().split(os.pathsep) if CLASSPATH_FILE.is_file() else []
    return [str(TARGET_DIR / "classes"), *[d for d in deps if d]]


def _is_built() -> bool:
    if not STAMP_FILE.is_file() or STAMP_FILE.read_text().strip() != _sources_digest():
        return False
    # The jars live in the local Maven repository (~/.m2), which may have been wiped since.
    cp = _classpath()
    return len(cp) > 1 and all(Path(p).exists() for p in cp)


def unavailable_reason() -> str | None:
    """Why the node cannot run on this machine, or None if it can."""
    java = _java()
    if java is None:
        return "no `java` found (need JDK 17+ on PATH or JAVA_HOME) to run the Elasticsearch test node"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`{java} -version` failed: {e}"
    # First line looks like: openjdk version "17.0.15" 2025-04-15 (or "1.8.0_..." for Java 8).
    try:
        version = out.split('"')[1]
        major = int(version.split(".")[1] if version.startswith("1.") else version.split(".")[0].split("-")[0])
    except (IndexError, ValueError):
        major = 0
    if major < 17:
        return f"Elasticsearch 8 needs Java 17+, but `{java}` reports: {out.splitlines()[0] if out else '?'}"
    if _mvn() is None and not _is_built():
        return "no `mvn` on PATH to build tools/es-node (Maven 3.6+ is needed once)"
    return None


def build(force: bool = False) -> Path:
    """Build tools/es-node if its pom or sources changed since the last build; return target/."""
    if not force and _is_built():
        return TARGET_DIR
    mvn = _mvn()
    if mvn is None:
        raise EsNodeError("cannot build tools/es-node: `mvn` is not on PATH")
    TARGET_DIR.mkdir(exist_ok=True)
    with open(TARGET_DIR / ".build.lock", "w") as lock:
        _lock(lock)  # two test processes must not run Maven in the same target/ at once
        if not force and _is_built():  # another process built it while we waited
            return TARGET_DIR
        digest = _sources_digest()  # taken before the build: edits made during it trigger another
        STAMP_FILE.unlink(missing_ok=True)  # a failed build may leave target/classes half-cleaned
        cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(PROJECT_DIR / "pom.xml"), "package",
               "dependency:build-classpath", f"-Dmdep.outputFile={CLASSPATH_FILE}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()
            raise EsNodeError(
                f"building tools/es-node failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                + "\n".join(output.splitlines()[-40:])
            )
        STAMP_FILE.write_text(digest + "\n")
    return TARGET_DIR


def _lock(f) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking, concurrent builds are unlikely there
        return
    fcntl.flock(f, fcntl.LOCK_EX)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(none)"


# Opener that ignores http_proxy & co.: the node is on loopback and a proxy would break the checks.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_running: weakref.WeakSet[EsNode] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    # Never leave an orphan JVM behind when the test process exits without stop().
    for node in list(_running):
        node.stop()


class EsNode:
    """One Elasticsearch node in its own JVM, with data and logs under `workdir`.

    Restarting (stop() then start()) on the same workdir keeps the indices and the port, so the URL
    a client holds stays valid; this also holds for a new EsNode on a workdir used before.
    """

    def __init__(self, workdir: Path, heap: str = "768m", port: int | None = None,
                 settings: dict[str, str] | None = None, quick_start: bool = True):
        """`settings`: extra node settings (-Ekey=value), e.g. {"indexing_pressure.memory.limit": "1kb"};
        `quick_start=False` keeps the optimising JIT (C2), for benchmarks. Unless `settings` say
        otherwise, `path.repo` is `workdir/snapshots`: snapshot repositories may live below it."""
        self.workdir = Path(workdir).resolve()
        self.heap = heap
        self.port = port
        self.settings = {"path.repo": str(self.workdir / SNAPSHOTS_DIR), **(settings or {})}
        self.quick_start = quick_start
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EsNodeError("the node has not been started yet, so it has no URL")
        return f"http://127.0.0.1:{self.port}"

    @property
    def snapshots(self) -> Path:
        """The node's path.repo (the first one if several): snapshot repositories go below it."""
        return Path(self.settings["path.repo"].split(",")[0])

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60) -> str:
        """Start the node (building it first if needed), wait until it is yellow; return the URL."""
        if self.running:
            return self.url
        build()  # not counted in `timeout`: a cold build downloads ~80 MB of jars
        deadline = time.monotonic() + timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "tmp").mkdir(exist_ok=True)
        for repo in filter(None, self.settings.get("path.repo", "").split(",")):
            Path(repo).mkdir(parents=True, exist_ok=True)
        port_file = self.workdir / PORT_FILE
        port_file.unlink(missing_ok=True)  # the JVM recreates it once bound: that is our signal
        last_port = self.workdir / LAST_PORT_FILE
        if self.port is None and last_port.is_file():
            self.port = int(last_port.read_text())
        cmd = [
            _java() or "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *(JVM_FLAGS if self.quick_start else [f for f in JVM_FLAGS if not f.startswith("-XX:TieredStopAtLevel")]),
            f"-Djava.io.tmpdir={self.workdir / 'tmp'}",
            "-cp", os.pathsep.join(_classpath()),
            MAIN_CLASS,
            "--workdir", str(self.workdir),
            "--http-port", str(self.port or 0),
            "--parent-pid", str(os.getpid()),
            *(f"-E{key}={value}" for key, value in self.settings.items()),
        ]
        with open(self.workdir / LAUNCHER_LOG, "ab") as log:
            # Own session: a Ctrl-C in the terminal reaches us, and we stop the node cleanly.
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        _running.add(self)
        try:
            port = self._wait_for_port(port_file, deadline)
            if self.port not in (None, port):
                raise EsNodeError(f"node bound port {port}, expected {self.port}")
            self.port = port
            last_port.write_text(f"{port}\n")
            self._wait_for_yellow(deadline)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _failure(self, what: str) -> EsNodeError:
        return EsNodeError(
            f"{what}\n--- {self.workdir / LAUNCHER_LOG} (tail) ---\n{_tail(self.workdir / LAUNCHER_LOG)}"
            f"\n--- {self.workdir / NODE_LOG} (tail) ---\n{_tail(self.workdir / NODE_LOG)}"
        )

    def _wait_for_port(self, port_file: Path, deadline: float) -> int:
        while True:
            if self._proc.poll() is not None:
                raise self._failure(f"Elasticsearch node exited with code {self._proc.returncode} during startup")
            if port_file.is_file():
                return int(port_file.read_text())
            if time.monotonic() > deadline:
                raise self._failure("Elasticsearch node did not bind its HTTP port in time")
            time.sleep(0.1)

    def _wait_for_yellow(self, deadline: float) -> None:
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise self._failure(f"Elasticsearch node exited with code {self._proc.returncode} during startup")
            try:
                # Server-side wait of 1s per call, so we notice a dead process promptly.
                req = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
                with _http.open(req, timeout=10) as resp:
                    if not json.load(resp).get("timed_out"):
                        return
            except urllib.error.HTTPError as e:  # 408 = not yellow yet
                last_error = f"HTTP {e.code}"
            except (OSError, ValueError) as e:
                last_error = str(e)
            time.sleep(0.2)
        raise self._failure(f"Elasticsearch node not yellow in time (last: {last_error})")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (the node closes cleanly and flushes), then SIGKILL if it takes too long."""
        proc, self._proc = self._proc, None
        _running.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> EsNode:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EsNode({str(self.workdir)!r}, port={self.port}, {state})"


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build tools/es-node (only if changed)")
    p_build.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p_run = sub.add_parser("run", help="start a node, print its URL, run until Ctrl-C / SIGTERM")
    p_run.add_argument("--workdir", type=Path, required=True, help="data/logs dir; reuse it to keep data")
    p_run.add_argument("--port", type=int, default=None, help="HTTP port (default: last one used, else free)")
    p_run.add_argument("--heap", default="768m")
    p_run.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            print(build(force=args.force))
            return 0
        reason = unavailable_reason()
        if reason:
            print(f"es_node: cannot run: {reason}", file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, _raise_interrupt)  # SIGTERM takes the same clean path as Ctrl-C
        node = EsNode(args.workdir, heap=args.heap, port=args.port)
        try:
            print(node.start(timeout=args.timeout), flush=True)
            while node.running:
                time.sleep(0.5)
            print(f"es_node: node exited, see {node.workdir / NODE_LOG}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            node.stop()
    except EsNodeError as e:
        print(f"es_node: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
