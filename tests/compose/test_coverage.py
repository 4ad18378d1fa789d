"""The corpus check itself (tests/compose/coverage.py) can fail: each kind of loss it is there to catch,
made by hand in an import's output, is caught; the same loss named in the report is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.compose.coverage import clean_env, compose_config, missing
from tests.require import go_helper

COMPOSE = """\
x-env: &env
  TZ: ${TZ:-UTC}
services:
  web:
    image: docker.io/library/nginx:${TAG:-1.27}
    ports: ["8080:80", "9000"]
    environment:
      <<: *env
      MODE: prod
    depends_on:
      db: {condition: service_healthy}
  db:
    image: docker.io/library/postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
    healthcheck: {test: [CMD, pg_isready]}
  debug:
    image: docker.io/library/busybox:1
    profiles: [debug]
volumes:
  pgdata: {}
  spare: {}
"""

GOOD = {
    "name": "demo",
    "services": {
        "web": {"image": "docker.io/library/nginx:1.27", "publish": ["8080:80"], "port": 9000,
                "env": {"TZ": "UTC", "MODE": "prod"}, "depends_on": ["db"]},
        "db": {"image": "docker.io/library/postgres:16", "volumes": {"pgdata": "/var/lib/postgresql/data"},
               "health": {"cmd": ["pg_isready"]}},
    },
}
GOOD_REPORT = [
    "compose.yaml:30:3: warning[HF601]: volumes.spare: no service uses it; not carried",
    "compose.yaml:24:5: warning[HF602]: services.debug: only in profile debug; not carried",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    work = tmp_path_factory.mktemp("demo")
    (work / "compose.yaml").write_text(COMPOSE)
    return compose_config(go_helper("composeconfig"), work, (), clean_env(work, work / "home")), work


def _check(project: tuple[dict, Path], host: dict, report: list[str], tmp_path: Path) -> list[str]:
    data, work = project
    out = tmp_path / "out"
    out.mkdir()
    (out / "hostform.yaml").write_text(yaml.safe_dump(host))
    (out / "import-report.txt").write_text("".join(line + "\n" for line in report))
    return missing(data, out, work)


def _mutated(change) -> dict:
    host = yaml.safe_load(yaml.safe_dump(GOOD))
    change(host)
    return host


def test_a_faithful_import_passes(project, tmp_path):
    assert _check(project, GOOD, GOOD_REPORT, tmp_path) == []


LOSSES = {
    "port dropped": (lambda h: h["services"]["web"].update(publish=[]), "services.web.ports: 8080:80/tcp"),
    "port published elsewhere": (lambda h: h["services"]["web"].update(publish=["8081:80"]), "services.web.ports: 8080:80"),
    "service dropped": (lambda h: h["services"].pop("web"), "service web (active)"),
    "volume dropped": (lambda h: h["services"]["db"].pop("volumes"), "services.db.volumes: volume pgdata"),
    "dependency dropped": (lambda h: h["services"]["web"].pop("depends_on"), "services.web.depends_on: db"),
    "health check dropped": (lambda h: h["services"]["db"].pop("health"), "services.web.depends_on.db: condition service_healthy"),
    "env value changed": (lambda h: h["services"]["web"]["env"].update(TZ="${TZ:-UTC}"), "services.web.environment.TZ"),
    "env variable dropped": (lambda h: h["services"]["web"]["env"].pop("MODE"), "services.web.environment.MODE"),
    "env variable invented": (lambda h: h["services"]["web"]["env"].update(EXTRA="1"), "services.web.env.EXTRA"),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_each_silent_loss_is_caught(project, tmp_path, loss):
    change, expected = LOSSES[loss]
    lost = _check(project, _mutated(change), GOOD_REPORT, tmp_path)
    assert any(line.startswith(expected) for line in lost), lost


def test_an_unreported_profile_service_or_volume_is_caught(project, tmp_path):
    lost = _check(project, GOOD, [], tmp_path)
    assert any(line.startswith("service debug (disabled by its profiles)") for line in lost), lost
    assert any(line.startswith("volumes.spare") for line in lost), lost


def test_a_loss_named_in_the_report_is_accepted(project, tmp_path):
    host = _mutated(lambda h: (h["services"]["web"].update(publish=[]), h["services"]["web"].pop("depends_on")))
    report = [*GOOD_REPORT,
              "compose.yaml:6:13: warning[HF610]: services.web.ports[0]: host port 8080 not published",
              "compose.yaml:11:7: warning[HF611]: services.web.depends_on.db: not carried"]
    assert _check(project, host, report, tmp_path) == []


def test_a_report_line_about_another_port_does_not_cover_this_one(project, tmp_path):
    host = _mutated(lambda h: h["services"]["web"].update(publish=[], port=None))
    report = [*GOOD_REPORT, "compose.yaml:6:24: warning[HF610]: services.web.ports[1]: port 9000 not carried"]
    lost = _check(project, host, report, tmp_path)
    assert [line for line in lost if "ports" in line] == [
        "services.web.ports: 8080:80/tcp (compose-go's port 0) neither published, served by a site, nor reported"]
