"""deploy/systemd and deploy/nginx, checked as far as a machine without them running allows:
`systemd-analyze verify` on the units (with the executable pointed at this checkout's
`yuqing`), `nginx -t` on the proxy example inside a minimal nginx.conf with a throwaway
certificate, and their contents against what the service needs. Without systemd-analyze or
nginx (Debian: systemd, nginx; `.ci/run` installs nginx) those two steps are skipped."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SYSTEMD = REPO / "deploy" / "systemd"
NGINX = REPO / "deploy" / "nginx" / "yuqing.conf"
INSTALLED = "/opt/yuqing/venv/bin/yuqing"


class Section(dict):
    """A unit file section: the last value of a key, or all of them (`Environment=` repeats)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key)[-1]

    def all(self, key: str) -> list[str]:
        return super().__getitem__(key)


def unit(name: str) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current = None
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], Section())
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_service_restarts_on_failure_and_runs_api_and_scheduler() -> None:
    service = unit("yuqing.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED} run"  # API, pages and the scheduler in one service
    assert service["Restart"] == "on-failure" and service["User"] == "yuqing"
    assert "YUQING_CONFIG=/etc/yuqing/yuqing.toml" in service.all("Environment")
    assert "YUQING_LOGGING__FORMAT=json" in service.all("Environment")
    assert service["EnvironmentFile"].startswith("-/etc/yuqing/")  # secrets outside the unit
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/yuqing"
    assert unit("yuqing.service")["Install"]["WantedBy"] == "multi-user.target"


def test_the_backup_timer_runs_the_backup_command_nightly() -> None:
    backup = unit("yuqing-backup.service")["Service"]
    assert backup["Type"] == "oneshot" and backup["ExecStart"].startswith(f"{INSTALLED} backup /var/backups/yuqing")
    assert "--keep" in backup["ExecStart"] and "/var/backups/yuqing" in backup["ReadWritePaths"]
    timer = unit("yuqing-backup.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 02:30:00" and timer["Persistent"] == "true"
    if shutil.which("systemd-analyze"):
        done = subprocess.run(["systemd-analyze", "calendar", timer["OnCalendar"]], capture_output=True, text=True)
        assert done.returncode == 0 and "Next elapse" in done.stdout


def test_the_snapshot_timer_asks_elasticsearch_after_the_backup() -> None:
    snapshot = unit("yuqing-es-snapshot.service")["Service"]
    assert snapshot["Type"] == "oneshot" and snapshot["ExecStart"] == f"{INSTALLED} es snapshot --keep 30"
    assert "PrivateNetwork" not in snapshot  # it talks to the Elasticsearch nodes over HTTP
    assert "YUQING_CONFIG=/etc/yuqing/yuqing.toml" in snapshot.all("Environment")
    timer, backup = unit("yuqing-es-snapshot.timer")["Timer"], unit("yuqing-backup.timer")["Timer"]
    # README, "Backups": yuqing backup, then pg_dump, then the snapshot.
    assert timer["OnCalendar"] > backup["OnCalendar"] and timer["Persistent"] == "true"


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed (Debian package systemd)")
    ours = str(Path(sys.executable).with_name("yuqing"))
    for path in SYSTEMD.glob("yuqing*.*"):
        if path.suffix in (".service", ".timer"):
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALLED, ours),
                                              encoding="utf-8")
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    about_ours = [line for line in (done.stdout + done.stderr).splitlines() if "yuqing" in line]
    assert done.returncode == 0 and not about_ours, done.stdout + done.stderr


def _certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yuqing.example.cn")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    crt, pem = directory / "fullchain.pem", directory / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def test_nginx_accepts_the_proxy_example(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        pytest.skip("nginx not installed (Debian: apt-get install nginx; .ci/run does)")
    crt, pem = _certificate(tmp_path)
    site = NGINX.read_text(encoding="utf-8").replace("/etc/ssl/yuqing/fullchain.pem", str(crt))
    (tmp_path / "yuqing.conf").write_text(site.replace("/etc/ssl/yuqing/privkey.pem", str(pem)), encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/yuqing.conf;\n}}\n", encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "syntax is ok" in done.stderr, done.stderr


def test_the_proxy_example_sets_tls_headers_and_the_client_address() -> None:
    text = NGINX.read_text(encoding="utf-8")
    assert re.search(r"listen 443 ssl", text) and "return 301 https://" in text
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in text
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert re.search(rf'add_header {header} "[^"]+" always;', text), header
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text  # the limits count real clients
    assert "proxy_set_header X-Request-ID $request_id;" in text
    assert re.search(r"location = /metrics \{\s*return 404;", text)  # not through the public name
    size = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    from yuqing.settings import ClippingSettings

    assert size >= ClippingSettings().max_upload_mb  # the service, not nginx, answers a too-large upload
