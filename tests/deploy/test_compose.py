"""deploy/docker-compose.yml cannot run here (no Docker daemon); check what can be checked:
it parses, wires PostgreSQL, Elasticsearch, Kibana and the service together, and every
YUQING_* variable it sets is a setting the service accepts."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import REPO
from yuqing.settings import load_settings

COMPOSE = REPO / "deploy" / "docker-compose.yml"


def environment(service: dict) -> dict[str, str]:
    return dict(item.split("=", 1) for item in service.get("environment", []))


def test_compose_wires_elasticsearch_kibana_and_the_service() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    assert {"elasticsearch", "kibana", "yuqing"} <= set(services)
    es_image = services["elasticsearch"]["image"]
    assert es_image.startswith("docker.elastic.co/elasticsearch/elasticsearch:") and ":-8." in es_image
    assert services["kibana"]["image"].split(":", 1)[1] == es_image.split(":", 1)[1]  # same version
    service_env = environment(services["yuqing"])
    assert service_env["YUQING_ES_URL"] == "http://elasticsearch:9200"
    assert services["yuqing"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert environment(services["kibana"])["ELASTICSEARCH_HOSTS"] == "http://elasticsearch:9200"
    for service in services.values():  # nothing published beyond this machine
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", []))


def test_compose_puts_alerts_tickets_and_users_in_postgresql() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    postgres, service = services["postgres"], services["yuqing"]
    assert postgres["image"].startswith("postgres:") and "ports" not in postgres  # the compose network only
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    pg_env = environment(postgres)
    url = environment(service)["YUQING_ALERTS__DATABASE_URL"]
    assert url == (f"postgresql+psycopg://{pg_env['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@postgres:5432/"
                   f"{pg_env['POSTGRES_DB']}")
    assert "POSTGRES_PASSWORD=" in (REPO / "deploy" / "env.example").read_text(encoding="utf-8")
    assert "/healthz" in " ".join(service["healthcheck"]["test"])


def test_every_yuqing_variable_is_a_valid_setting(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    monkeypatch.chdir(tmp_path)
    for name, value in environment(services["yuqing"]).items():
        if name.startswith("YUQING_"):
            # ${VAR:-default} → the default (or a placeholder secret), as compose would fill it in
            filled = re.sub(r"\$\{[A-Z_]+:-(\$\{[A-Z_]+\}|[^}]*)\}", lambda m: m.group(1), value.split("#")[0].strip())
            filled = re.sub(r"\$\{[^}]+\}", "placeholder-secret", filled)
            monkeypatch.setenv(name, filled)
    settings = load_settings()
    assert settings.es.url == "http://elasticsearch:9200" and settings.es.replicas == 0
    assert settings.es.password.get_secret_value() == "placeholder-secret"
    assert settings.api.host == "0.0.0.0" and str(settings.storage.data_dir) == "/data"
    assert settings.alerts.database_url.get_secret_value() == (
        "postgresql+psycopg://yuqing:placeholder-secret@postgres:5432/yuqing")
    assert settings.logging.format == "json" and settings.metrics.token is None  # unset token: admins only


def test_elasticsearch_has_a_snapshot_repository_on_the_host() -> None:
    """README, "Backups": snapshots go to the path.repo directory, mounted from the host."""
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    elasticsearch = services["elasticsearch"]
    repo = environment(elasticsearch)["path.repo"].split("#")[0].strip()
    assert any(volume.split(":")[1] == repo and volume.startswith("./") for volume in elasticsearch["volumes"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    yuqing = environment(services["yuqing"])
    assert yuqing["YUQING_ES__SNAPSHOT_LOCATION"].split("#")[0].strip() == repo  # yuqing es snapshot goes there
    assert "yuqing es snapshot" in readme and "pg_dump" in readme and "pg_restore" in readme
