"""Peak resident memory of `yuqing run` after `yuqing init` + `yuqing demo`, serving requests.

    python bench/run_memory.py

Baseline in the same run: a bare Python interpreter that imports nothing of ours.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import memory_mb, wait_and_log_in

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "YUQING_STORAGE__DATA_DIR": f"{work}/data", "PYTHONPATH": str(REPO)}
        env.pop("YUQING_CONFIG", None)
        yq = [sys.executable, "-m", "yuqing"]
        subprocess.run([*yq, "init"], cwd=work, env=env, check=True, capture_output=True)
        subprocess.run([*yq, "demo"], cwd=work, env=env, check=True, capture_output=True)
        subprocess.run([*yq, "users", "add", "bench", "--role", "viewer", "--password-stdin"], cwd=work, env=env,
                       check=True, capture_output=True, input="bench-password-1\n", text=True)
        port = free_port()
        server = subprocess.Popen([*yq, "run", "--port", str(port), "--no-scheduler"], cwd=work,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            base = f"http://127.0.0.1:{port}"
            token = wait_and_log_in(base, "bench", "bench-password-1", tries=200)
            headers = {"Authorization": f"Bearer {token}"}
            for path in ("/api/mentions?size=100", "/api/stats/trend", "/api/stats/keywords",
                         "/api/mentions?q=%E5%81%9C%E6%B0%94", "/api/stats/facets/category"):
                for _ in range(20):
                    urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=10).read()
            ours, baseline = memory_mb(server.pid, "VmHWM"), memory_mb(bare.pid, "VmHWM")
        finally:
            server.terminate()
            bare.terminate()
            server.wait(10)
        print(f"{'baseline: bare python interpreter':40s} {baseline:8.1f} MB peak RSS")
        print(f"{'yuqing run (API, demo loaded, 100 req)':40s} {ours:8.1f} MB peak RSS")
        print(f"ratio: {ours / baseline:.1f}x")


if __name__ == "__main__":
    main()
