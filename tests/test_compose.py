"""compose.yaml, deploy/Caddyfile and the Dockerfile hold together: the services the issue
names, each waiting for what it needs, no secret written in the file, and the commands the
services run are the ones these tests run against a real database.

`docker compose config -q` validates the file where the Compose plugin is installed; without it
(as on this project's CI machine) the file is read as YAML and checked here."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
runner = CliRunner()
# What an operator's .env must hold: no secret (those are files, Docker secrets).
ENV = {"ZERODRAFT_BASE_URL": "https://drafts.example.org"}
# What the operator's ./secrets/ files would hold (test values only).
SECRET_FILES = {
    "postgres_password": "pg pass/with:odd@chars",
    "secret_key": "s" * 40,
    "audit_key": "a" * 40,
    "metrics_token": "metrics-token",
    "smtp_password": "smtp-pass",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")
SECRET_NAMES = re.compile(r"SECRET|KEY|PASSWORD|TOKEN")


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} (enough for this file)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == ":?":
            raise AssertionError(f"{name} is required: {rest}")
        return rest or ""

    return _VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(raw: dict[str, Any]) -> dict[str, Any]:
    interpolated: dict[str, Any] = _interpolate(raw["services"], ENV)
    return interpolated


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


def test_docker_compose_config_accepts_the_file_where_compose_is_installed(
    raw: dict[str, Any],
) -> None:
    if _compose_available():
        done = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
            env=os.environ | ENV,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    # Either way: the shape Compose requires of what this file uses.
    assert set(raw) <= {
        "name",
        "services",
        "networks",
        "volumes",
        "secrets",
        "x-app",
        "x-serve",
    }
    for name, service in raw["services"].items():
        assert "image" in service or "build" in service, name
        for key in ("command", "healthcheck", "depends_on", "environment", "profiles"):
            assert key not in service or isinstance(service[key], dict | list), (name, key)
    declared = set(raw["volumes"])
    for name, service in raw["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith("./") or source in declared, (name, mount)


def test_a_missing_secret_stops_compose_instead_of_starting_without_it(
    raw: dict[str, Any],
) -> None:
    for name in ENV:
        without = {k: v for k, v in ENV.items() if k != name}
        with pytest.raises(AssertionError, match=name):
            _interpolate(raw["services"], without)


def test_the_services_and_what_each_waits_for(services: dict[str, Any]) -> None:
    assert {"postgres", "migrate", "app1", "app2", "worker", "caddy", "mailpit"} <= set(services)
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pgdata:/var/lib/postgresql/data" in postgres["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])

    assert services["migrate"]["command"] == ["zerodraft", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("app1", "app2", "worker"):
        waits = services[name]["depends_on"]
        assert waits["migrate"] == {"condition": "service_completed_successfully"}, name
        assert waits["postgres"] == {"condition": "service_healthy"}, name
    assert services["worker"]["command"] == ["zerodraft", "worker"]
    worker_env = services["worker"]["environment"]
    assert worker_env["ZERODRAFT_WORKER_METRICS_PORT"] == "9100"
    assert (
        worker_env["ZERODRAFT_DATABASE_URL"]
        == services["app1"]["environment"]["ZERODRAFT_DATABASE_URL"]
    )
    for name in ("app1", "app2"):
        assert services[name]["command"][:2] == ["zerodraft", "serve"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["mailpit"]["profiles"] == ["dev"]
    assert [n for n, s in services.items() if "profiles" in s] == ["mailpit"]
    # Every instance, the worker and the upgrade share the data volume (the audit anchor).
    for name in ("migrate", "app1", "app2", "worker"):
        assert "data:/data" in services[name]["volumes"], name


def test_no_secret_is_written_in_the_file_nor_passed_in_the_environment(
    raw: dict[str, Any], services: dict[str, Any]
) -> None:
    """Every secret is a Docker secret: a file beside compose.yaml, mounted at /run/secrets/<name>
    in the services that list it, and read through ZERODRAFT_<SETTING>_FILE."""
    declared = raw["secrets"]
    assert set(declared) == set(SECRET_FILES)
    for name, secret in declared.items():
        assert secret == {"file": f"./secrets/{name}"}, name
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    for name, service in services.items():
        listed = set(service.get("secrets", []))
        assert listed <= set(declared), name
        for key, value in service.get("environment", {}).items():
            if SECRET_NAMES.search(key):
                assert key.endswith("_FILE"), (name, key, value)
                assert value.startswith("/run/secrets/"), (name, key, value)
                assert value.removeprefix("/run/secrets/") in listed, (name, key)
    assert "ZERODRAFT_DATABASE_URL_FILE" not in services["app1"]["environment"]
    url = services["app1"]["environment"]["ZERODRAFT_DATABASE_URL"]
    assert make_url(url).password is None
    postgres = services["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    for name in ("migrate", "app1", "app2", "worker"):
        assert set(services[name]["secrets"]) == set(SECRET_FILES), name


def _settings_of(service: dict[str, Any], secrets: Path) -> Settings:
    """The settings a service's container gets: its environment, the /run/secrets/ files read
    from `secrets`."""
    env = {
        key: value.replace("/run/secrets/", f"{secrets}/")
        for key, value in service["environment"].items()
    }
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("ZERODRAFT_")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        return Settings(_env_file=None)


def test_the_containers_settings_come_together_from_the_environment_and_the_secrets(
    services: dict[str, Any], tmp_path: Path
) -> None:
    for name, value in SECRET_FILES.items():
        (tmp_path / name).write_text(value + "\n")
    app1 = _settings_of(services["app1"], tmp_path)
    assert app1.mode == "production"
    assert (app1.secret_key, app1.audit_key) == (
        SECRET_FILES["secret_key"],
        SECRET_FILES["audit_key"],
    )
    assert app1.metrics_token == SECRET_FILES["metrics_token"]
    assert app1.smtp_password == SECRET_FILES["smtp_password"]
    url = make_url(app1.effective_database_url)
    assert (url.username, url.password, url.host) == (
        "zerodraft",
        SECRET_FILES["postgres_password"],
        "postgres",
    )
    assert app1.backup_dir is None  # the app instances take no backups

    worker = _settings_of(services["worker"], tmp_path)
    assert worker.effective_database_url == app1.effective_database_url
    assert worker.backup_dir == Path("/backups")
    assert (worker.backup_at, worker.backup_every_hours, worker.backup_keep_days) == (
        "02:00",
        24,
        14,
    )
    # The backups land in the named volume, mounted where the worker writes them.
    assert "backups:/backups" in services["worker"]["volumes"]


def test_the_proxy_fronts_both_instances_and_is_the_only_one_believed(
    services: dict[str, Any],
) -> None:
    caddy = services["caddy"]
    assert caddy["image"].startswith("caddy:")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"^\{\$ZERODRAFT_DOMAIN(:[^}]*)?\} \{", caddyfile, re.M)
    assert "reverse_proxy app1:8000 app2:8000 {" in caddyfile
    assert "health_uri /readyz" in caddyfile
    address = caddy["networks"]["backend"]["ipv4_address"]
    for name in ("app1", "app2"):
        command = services[name]["command"]
        assert command[command.index("--forwarded-allow-ips") + 1] == address


def test_the_dockerfile_serves_as_a_non_root_user_and_does_not_migrate() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2  # build stage, then run stage
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    cmd = re.findall(r"^CMD (.+)$", dockerfile, re.M)[-1]
    assert cmd == '["zerodraft", "serve", "--host", "0.0.0.0", "--port", "8000"]'


def test_the_services_commands_run(
    services: dict[str, Any], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands compose runs, run here against the test database."""
    migrate = runner.invoke(cli, [*services["migrate"]["command"][1:], "--database", db_url])
    assert migrate.exit_code == 0, migrate.output
    assert "up to date" in migrate.output or "upgraded" in migrate.output
    worker = runner.invoke(
        cli, [*services["worker"]["command"][1:], "--once", "--database", db_url]
    )
    assert worker.exit_code == 0, worker.output

    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw, target=target))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    serve = runner.invoke(cli, [*services["app1"]["command"][1:], "--database", db_url])
    assert serve.exit_code == 0, serve.output
    assert seen["target"] == "app.main:create_app"
    assert (seen["host"], seen["port"], seen["workers"]) == ("0.0.0.0", 8000, 2)  # noqa: S104
    assert seen["proxy_headers"] is True
    assert seen["timeout_graceful_shutdown"] == 30
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
