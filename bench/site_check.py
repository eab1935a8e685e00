"""Site checks and the site crawl against the local test site (tools/site_server.py, in its
own process so it does not share our interpreter).

1. A full check of N targets (pages, WeChat pages, query endpoints, downloads, notices)
   with concurrency 16, against the same N checked one at a time (concurrency 1) as the
   baseline — once as the local site answers, once with 50 ms added to every answer (about
   a round trip to a public site). Local figures are the best of three runs.
2. Pages per second of the own-site crawl (the Scrapy spider, `yuqing sites crawl`) over a
   generated site, against a plain sequential link walker (urllib + regex, pages only, no
   checks) as the baseline — again as the local site answers and with 50 ms added.

    python bench/site_check.py [N_TARGETS] [N_PAGES]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO

KINDS = [
    ("page", "/index.html", {"must_contain": ["泰山港华燃气"]}),
    ("page", "/about.html", {"must_contain": ["关于我们"]}),
    ("wechat_article", "/wechat/article.html", {"must_contain": ["停气"]}),
    ("wechat_menu", "/wechat/menu-payment.html", {"must_contain": ["缴费"]}),
    ("service", "/api/progress", {"json_field": "data.status", "request": {"method": "POST", "json": {"o": "1"}}}),
    ("download", "/files/%E7%94%A8%E6%B0%94%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf",
     {"content_type": "application/pdf", "min_bytes": 1024}),
    ("page", "/news/outage-notice.html", {"valid_hours": 1e6}),
    ("page", "/gbk.html", {"must_contain": ["营业网点"]}),
]


def start_site() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, str(REPO / "tools" / "site_server.py"), "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    return server, re.search(r"(http://\S+?)/?$", line.strip()).group(1)


def targets(base: str, n: int, delay_ms: int) -> list[dict]:
    prefix = f"/slow/{delay_ms}" if delay_ms else ""
    out = []
    for i in range(n):
        kind, path, fields = KINDS[i % len(KINDS)]
        sep = "&" if "?" in path else "?"
        out.append({"name": f"t{i:03d}", "kind": kind, "url": f"{base}{prefix}{path}{sep}n={i}",
                    "allow_addresses": ["127.0.0.1/32"], "max_latency_ms": 10_000, **fields})
    return out


def time_checks(base: str, n: int, delay_ms: int, concurrency: int) -> tuple[float, int]:
    from crawlers.sitecheck.service import run_site_checks
    from yuqing.settings import Settings
    from yuqing.settings_sites import SitesSettings

    settings = Settings(sites=SitesSettings(targets=targets(base, n, delay_ms)))
    start = time.perf_counter()
    report = run_site_checks(settings, save=False, concurrency=concurrency)
    elapsed = time.perf_counter() - start
    return elapsed, len(report.failed)


def walk_sequential(start: str) -> tuple[int, float]:
    """The baseline crawler: one page at a time, links by regex, same host, no resources."""
    host = start.split("/", 3)[2]
    seen, queue, began = {start}, [start], time.perf_counter()
    while queue:
        url = queue.pop(0)
        with urllib.request.urlopen(url, timeout=20) as response:
            html = response.read().decode("utf-8", "replace")
        for href in re.findall(r'href="([^"]+)"', html):
            link = href if href.startswith("http") else f"http://{host}{href}"
            if link.split("/", 3)[2] == host and link not in seen:
                seen.add(link)
                queue.append(link)
    return len(seen), time.perf_counter() - began


def crawl_rate(start: str, pages: int) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as work:
        config = Path(work) / "yuqing.toml"
        config.write_text(f'[crawl]\nlog_level = "ERROR"\n[storage]\ndata_dir = "{work}/data"\n'
                          f'[sites.crawl]\nstart_urls = ["{start}"]\nallow_addresses = ["127.0.0.1/32"]\n'
                          f"max_pages = {pages}\nmax_depth = 20\nconcurrency = 8\ndownload_delay = 0\n",
                          encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-m", "yuqing", "sites", "crawl", "-c", str(config), "--json",
                               "--no-save"], capture_output=True, text=True, env=env, timeout=600)
    report = json.loads(done.stdout)
    return report["pages"], report["seconds"], report["pages_per_second"]


def main(n: int = 200, pages: int = 400) -> None:
    server, base = start_site()
    try:
        print(f"site checks: {n} targets ({len(KINDS)} kinds in rotation) against {base}")
        for delay in (0, 50):
            time_checks(base, 8, delay, 8)  # warm up (imports, first connections)
            runs = 3 if delay == 0 else 1  # the local figures are noisy on a shared machine: best of 3
            seq = min(time_checks(base, n, delay, 1) for _ in range(runs))
            par = min(time_checks(base, n, delay, 16) for _ in range(3))
            assert seq[1] == par[1] == 0, (seq, par)  # every check passed
            seq, par = seq[0], par[0]
            label = f"+{delay} ms per answer" if delay else "local answers"
            print(f"  [{label}]")
            print(f"  {'baseline: concurrency 1 (sequential)':42s} {seq:8.2f} s  {n / seq:8.1f} checks/s")
            print(f"  {'yuqing sites check: concurrency 16':42s} {par:8.2f} s  {n / par:8.1f} checks/s")
            print(f"  ratio sequential / concurrent: {seq / par:.2f}x")
        print("site crawl: generated site (each page links to two more and shows an image)")
        for delay, total in ((0, pages), (50, pages // 2)):
            start = f"{base}{f'/slow/{delay}' if delay else ''}/gen/0.html?total={total}"
            seen, walk_seconds = min((walk_sequential(start) for _ in range(2)), key=lambda r: r[1])
            crawled, seconds, rate = max((crawl_rate(start, total) for _ in range(2)), key=lambda r: r[2])
            baseline = seen / walk_seconds
            print(f"  [{f'+{delay} ms per answer' if delay else 'local answers'}, {total} pages]")
            print(f"  {'baseline: sequential urllib walker (pages only)':50s} {seen:5d} pages {baseline:8.1f} pages/s")
            print(f"  {'yuqing sites crawl (Scrapy, 8 at once, + images)':50s} {crawled:5d} pages {rate:8.1f} pages/s"
                  f"  ({seconds:.1f} s)")
            print(f"  ratio crawl / walker: {rate / baseline:.2f}x")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
