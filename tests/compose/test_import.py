"""`hostform import compose` as a user runs it: the Compose rules it follows, the host file it writes (which
`hostform build` accepts), the quadlets and the Caddyfile that come of it, and the report's positions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.compose.coverage import clean_env

ROOT = Path(__file__).resolve().parents[2]


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = clean_env(cwd, cwd / ".home")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=300)


def imported(tmp_path: Path, files: dict[str, str], *args: str, env: dict[str, str] | None = None) -> tuple[dict, str, Path]:
    """Write FILES, import, build; the host file (as data), the report, and the build directory."""
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    proc = run(tmp_path, "import", "compose", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = (tmp_path / "import-report.txt").read_text()
    assert report in proc.stderr
    b = run(tmp_path, "build", ".", "--caddy", "off", "-o", "build")
    assert b.returncode == 0, b.stderr + (tmp_path / "hostform.yaml").read_text()
    return yaml.safe_load((tmp_path / "hostform.yaml").read_text()), report, tmp_path / "build"


def lines_of(report: str, code: str) -> list[str]:
    return [ln for ln in report.splitlines() if f"[{code}]" in ln]


def test_a_typical_project(tmp_path: Path) -> None:
    host, report, build = imported(tmp_path, {"compose.yaml": """\
services:
  web:
    image: nginx:1.27
    ports: ["80:80", "127.0.0.1:8080:8080"]
    depends_on:
      db: {condition: service_healthy}
  db:
    image: postgres
    volumes: [pgdata:/var/lib/postgresql/data]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 5s
      start_period: 30s
volumes:
  pgdata:
"""})
    web, db = host["services"]["web"], host["services"]["db"]
    assert web["image"] == "docker.io/library/nginx:1.27"
    assert db["image"] == "docker.io/library/postgres:latest"
    assert web["depends_on"] == ["db"]
    assert db["health"] == {"cmd": ["pg_isready", "-U", "postgres"], "interval": "5s", "start_period": "30s"}
    assert db["volumes"] == {"pgdata": "/var/lib/postgresql/data"}
    assert web["publish"] == ["127.0.0.1:8080:8080"] and web["port"] == 80
    assert host["sites"] == {"web.example.org": {"service": "web", "port": 80}}
    # what runs: db's health check in its quadlet, web after db, Caddy proxying to web:80
    dbq = (build / "quadlets" / "db.container").read_text()
    assert "HealthCmd=" in dbq and "pg_isready" in dbq and "Notify=healthy" in dbq
    webq = (build / "quadlets" / "web.container").read_text()
    assert "Requires=db.service" in webq and "PublishPort=127.0.0.1:8080:8080" in webq
    assert "reverse_proxy web:80" in (build / "Caddyfile").read_text()
    # the report: the site at the port's line and column
    assert lines_of(report, "HF606") == [
        "compose.yaml:4:13: warning[HF606]: services.web.ports[0]: port 80: proposed as the site web.example.org (Caddy, "
        "with TLS), proxied to port 80; put the real domain name in hostform.yaml"]


def test_interpolation_env_then_dotenv(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {
        ".env": "TAG=1.0\nREG=ghcr.io\nexport GREETING=\"hi ${WHO:-there}\"\n",
        "compose.yaml": """\
services:
  app:
    image: ${REG}/acme/app:${TAG:?a tag}
    environment:
      GREETING: $GREETING
      PRICE: "$$5"
      NESTED: ${UNSET:-${ALSO_UNSET:-deep}}
      PLUS: ${TAG:+set}
      EMPTY: ${NOPE}
      REQ: ${MISSING:?say it}
"""}, env={"TAG": "2.0"})
    app = host["services"]["app"]
    assert app["image"] == "ghcr.io/acme/app:2.0"  # the process environment wins over .env
    assert app["env"] == {"GREETING": "hi there", "PRICE": "$5", "NESTED": "deep", "PLUS": "set", "EMPTY": "", "REQ": ""}
    hf602 = lines_of(report, "HF602")
    assert [ln.split(": ")[0] for ln in hf602] == ["compose.yaml:9:7", "compose.yaml:10:7"]
    assert "NOPE is not set" in hf602[0] and "MISSING is missing a value (say it)" in hf602[1]


def test_override_file_extends_anchors_and_merge_keys(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {
        "compose.yaml": """\
x-base: &base
  image: busybox:1
  environment: {A: "1", B: "2"}
  labels: [one=1]
services:
  api:
    <<: *base
    command: ["serve", "--port", "8000"]
    ports: ["8000:8000"]
  worker:
    extends: {service: api}
    command: work --fast
  job:
    extends: {file: common.yaml, service: base}
""",
        "compose.override.yaml": """\
services:
  api:
    environment: [B=3, C=4]
    command: [serve]
    ports: !reset []
    labels: {two: "2"}
""",
        "common.yaml": "services:\n  base:\n    image: alpine:3\n    restart: always\n    read_only: true\n",
    })
    api, worker, job = (host["services"][n] for n in ("api", "worker", "job"))
    assert api["env"] == {"A": "1", "B": "3", "C": "4"}
    assert api["command"] == ["serve"]  # command is replaced, not appended
    assert "publish" not in api  # !reset
    assert api["labels"] == {"one": "1", "two": "2"}
    assert worker["command"] == ["work", "--fast"] and worker["env"] == {"A": "1", "B": "2"}
    assert worker["publish"] == ["8000:8000"]
    assert job == {"image": "docker.io/library/alpine:3", "restart": "always", "read_only": True}


def test_profiles(tmp_path: Path) -> None:
    files = {"compose.yaml": "services:\n  app: {image: a/b:1}\n  debug:\n    image: busybox:1\n    profiles: [dev]\n"}
    host, report, _ = imported(tmp_path, files)
    assert list(host["services"]) == ["app"]
    assert lines_of(report, "HF603")[0].startswith("compose.yaml:3:3: warning[HF603]: services.debug: ")
    host, _, _ = imported(tmp_path, files, "--profile", "dev", "--force")
    assert list(host["services"]) == ["app", "debug"]


def test_build_only_service_and_names(tmp_path: Path) -> None:
    host, report, build = imported(tmp_path, {"compose.yaml": """\
name: Shop
services:
  Web_Front:
    build: .
    ports: ["8080:80"]
  caddy:
    image: caddy:2
  sshd:
    image: linuxserver/openssh-server
    depends_on: [caddy]
"""})
    assert set(host["services"]) == {"web-front", "app-caddy", "app-sshd"}
    front = host["services"]["web-front"]
    assert front["image"] == "localhost/shop-web-front:latest" and front["auto_update"] is False
    assert host["sites"] == {"web-front.example.org": {"service": "web-front", "port": 80}}
    assert host["services"]["app-sshd"]["depends_on"] == ["app-caddy"]
    assert host["services"]["app-sshd"]["image"] == "docker.io/linuxserver/openssh-server:latest"
    assert "AutoUpdate" not in (build / "quadlets" / "web-front.container").read_text()
    assert len(lines_of(report, "HF609")) == 3 and len(lines_of(report, "HF604")) == 1


def test_commands_entrypoints_and_quadlet_keys(tmp_path: Path) -> None:
    host, report, build = imported(tmp_path, {"compose.yaml": """\
services:
  a:
    image: alpine:3
    command: sh -c 'echo "$$HOME" ; sleep 1' > /dev/null
    entrypoint: /bin/tini --
    cap_add: [NET_ADMIN, SYS_TIME]
    privileged: true
    sysctls: {net.ipv4.ip_forward: 1}
    shm_size: 256m
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    tmpfs: [/run]
    restart: unless-stopped
    mem_limit: 1g
    cpus: 1.5
  b:
    image: alpine:3
    network_mode: none
    command: ["echo", "hi there"]
"""})
    a = host["services"]["a"]
    assert a["command"] == ["sh", "-c", 'echo "$HOME" ; sleep 1']  # go-shellwords: the line ends at the unquoted '>'
    assert a["entrypoint"] == '["/bin/tini", "--"]'
    assert a["extra"]["AddCapability"] == "NET_ADMIN SYS_TIME" and a["extra"]["ShmSize"] == "256m"
    assert a["extra"]["Sysctl"] == "net.ipv4.ip_forward=1"
    assert a["extra"]["PodmanArgs"] == "--privileged --ulimit=nofile=1024:2048 --tmpfs=/run"
    assert a["restart"] == "always" and a["resources"] == {"memory": "1g", "cpus": 1.5}
    aq = (build / "quadlets" / "a.container").read_text()
    assert "AddCapability=NET_ADMIN SYS_TIME" in aq and "--privileged" in aq
    # b: its own quadlet, listed under quadlets:, installed as written
    assert host["quadlets"] == ["quadlets/b.container"] and "b" not in host["services"]
    bq = (tmp_path / "quadlets" / "b.container").read_text()
    assert "Network=none" in bq and 'Exec=echo "hi there"' in bq
    assert (build / "quadlets" / "b.container").read_text() == bq
    assert any("'>'" in ln and ln.startswith("compose.yaml:4:5:") for ln in lines_of(report, "HF601"))


def test_volumes_env_files_secrets(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {
        "app.env": "# settings\nMODE=prod\nexport QUOTED='a b'\nKEEP=from-file\n",
        "nginx.conf": "events {}\n",
        "compose.yaml": """\
services:
  app:
    image: a/app:1
    env_file: [app.env]
    environment: {KEEP: explicit}
    volumes:
      - ./data:/srv/data
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - /var/run/docker.sock:/var/run/docker.sock
      - cache:/cache:ro
      - /tmp/anon
    secrets:
      - api_key
      - source: db_pw
        target: /run/db
        mode: 0400
volumes: {cache: {driver: local}}
secrets:
  api_key: {file: ./api_key.txt}
  db_pw: {environment: DB_PW}
"""})
    app = host["services"]["app"]
    assert app["env"] == {"MODE": "prod", "QUOTED": "a b", "KEEP": "explicit"}
    assert app["volumes"] == {"data": "/srv/data", "cache": "/cache", "app-tmp-anon": "/tmp/anon"}
    assert app["secrets"] == [{"name": "nginx-conf", "target": "/etc/nginx/nginx.conf"}, "api_key",
                              {"name": "db_pw", "target": "/run/db"}]
    assert host["secrets"] == {"api_key": {}, "db_pw": {}, "nginx-conf": {"file": "nginx.conf", "embed": True}}
    by_line = {ln.split(": ")[0]: ln for ln in report.splitlines()}
    assert "[HF610]" in by_line["compose.yaml:4:16"]  # env_file: [app.env], at the item
    assert "named volume 'data'" in by_line["compose.yaml:7:9"]
    assert "docker.sock" in by_line["compose.yaml:9:9"]
    assert "hostform secret set api_key < ./api_key.txt" in by_line["compose.yaml:19:3"]
    assert "printenv DB_PW" in by_line["compose.yaml:20:3"]
    assert "[HF608]" in by_line["compose.yaml:16:9"]  # mode: not carried


def test_a_refused_value_is_reported_at_the_compose_line(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  app:
    image: a/app:1
    user: "not a user!"
    healthcheck:
      test: ["CMD", "check"]
      interval: forever
  bad:
    image: "Not/Valid:Ref"
"""})
    assert "user" not in host["services"]["app"] and "bad" not in host["services"]
    refused = lines_of(report, "HF614")
    assert [ln.split(": ")[0] for ln in refused] == ["compose.yaml:4:5", "compose.yaml:9:5"]
    assert any(ln.startswith("compose.yaml:7:7: warning[HF615]: services.app.healthcheck.interval:") for ln in report.splitlines())


@pytest.mark.parametrize("text, where", [
    ("services: [a\n", "compose.yaml:2:1"),
    ("- a\n- b\n", "compose.yaml:1:1"),
])
def test_what_is_not_compose_is_an_error(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    proc = run(tmp_path, "import", "compose")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{where}: error[HF600]: "), proc.stderr
    assert not (tmp_path / "hostform.yaml").exists()


def test_usage_and_missing_files(tmp_path: Path) -> None:
    assert run(tmp_path, "import").returncode == 2
    assert run(tmp_path, "import", "helm").returncode == 2
    assert run(tmp_path, "import", "compose", "--bogus").returncode == 2
    proc = run(tmp_path, "import", "compose")
    assert proc.returncode == 1 and "compose.yaml" in proc.stderr
    proc = run(tmp_path, "import", "compose", "nope.yml")
    assert proc.returncode == 1 and proc.stderr.startswith("nope.yml: error[HF600]: ")
    help_ = run(tmp_path, "import", "compose", "--help")
    assert help_.returncode == 0 and "service_healthy" in help_.stdout and "HF6xx" in help_.stdout


def test_output_is_byte_identical(tmp_path: Path) -> None:
    files = {"docker-compose.yml": "services:\n  z: {image: a/z:1, environment: [B=1, A=2], ports: ['9000:9000', '9001:9001/udp']}\n"
             "  y: {image: a/y:1, depends_on: [z]}\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert run(tmp_path, "import", "compose").returncode == 0
    first = [(tmp_path / n).read_bytes() for n in ("hostform.yaml", "import-report.txt")]
    assert run(tmp_path, "import", "compose", "--force", "-o", ".").returncode == 0
    assert [(tmp_path / n).read_bytes() for n in ("hostform.yaml", "import-report.txt")] == first
    assert os.stat(tmp_path / "hostform.yaml").st_mode & 0o777 == 0o600  # it holds environment values


@pytest.fixture(scope="module")
def oracle() -> str:
    from tests.require import go_helper

    return go_helper("composeconfig")


def _compose_go(oracle: str, cwd: Path) -> dict:
    from tests.compose.coverage import compose_config

    return compose_config(oracle, cwd, (), clean_env(cwd, cwd / ".home"))


def test_a_command_string_splits_as_compose_go_splits_it(tmp_path: Path, oracle: str) -> None:
    """go-shellwords keeps the character after a backslash (no \\t or \\n escapes), in and out of double quotes."""
    commands = [r"echo a\tb", r'printf "x\ny" z', r"echo 'a\tb' c\ d", r'sh -c "echo \"hi\""']
    text = "services:\n" + "".join(f"  s{i}:\n    image: alpine:3\n    command: {yaml.safe_dump(c).splitlines()[0]}\n"
                                   for i, c in enumerate(commands))
    host, _, _ = imported(tmp_path, {"compose.yaml": text})
    project = _compose_go(oracle, tmp_path)
    for i in range(len(commands)):
        assert host["services"][f"s{i}"]["command"] == project["services"][f"s{i}"]["command"], commands[i]


def test_numbers_become_the_strings_compose_go_makes(tmp_path: Path, oracle: str) -> None:
    """An environment or label value written as a number is the string Go's fmt.Sprint makes of it (1.0 is "1")."""
    values = ["1.0", "1.10", "1e3", "2.5e6", "0.00001", "-0.5", "0x1F", "0o17", "017", "1_000", "99999999999999999999999", "12345678"]
    env = "".join(f"      V{i}: {v}\n" for i, v in enumerate(values))
    host, _, _ = imported(tmp_path, {"compose.yaml": f"services:\n  a:\n    image: alpine:3\n    environment:\n{env}"
                                     "    labels: {one: 1.0}\n"})
    project = _compose_go(oracle, tmp_path)
    assert host["services"]["a"]["env"] == project["services"]["a"]["environment"]
    assert host["services"]["a"]["labels"] == project["services"]["a"]["labels"]


def test_infinity_is_not_a_crash(tmp_path: Path) -> None:
    host, _, _ = imported(tmp_path, {"compose.yaml": "services:\n  a:\n    image: alpine:3\n    environment: {A: .inf, B: -.inf, C: .nan}\n"})
    assert host["services"]["a"]["env"] == {"A": "+Inf", "B": "-Inf", "C": "NaN"}


def test_a_value_no_unit_file_can_hold_is_reported_not_a_crash(tmp_path: Path) -> None:
    """A service written as a plain quadlet: a value with a control character or a trailing backslash is left out."""
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  a:
    image: alpine:3
    network_mode: "\\\\"
  b:
    image: alpine:3
    network_mode: none
    environment: {GOOD: "1", BAD: "x\\u007f"}
"""})
    assert host["quadlets"] == ["quadlets/a.container", "quadlets/b.container"]
    assert "Network=" not in (tmp_path / "quadlets" / "a.container").read_text()
    bq = (tmp_path / "quadlets" / "b.container").read_text()
    assert "Environment=GOOD=1" in bq and "BAD" not in bq
    assert [ln.split(": ")[0] for ln in lines_of(report, "HF611") if "cannot be written" in ln] == [
        "compose.yaml:4:5", "compose.yaml:8:5"]


def test_an_extends_cycle_is_reported(tmp_path: Path) -> None:
    """Compose refuses a cycle of extends (in a file, through another file, a service extending itself)."""
    _, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  a: {image: alpine:3, extends: b}
  b: {extends: {service: a}}
  c: {image: alpine:3, extends: c}
  d: {image: alpine:3, extends: {file: other.yaml, service: e}}
""", "other.yaml": "services:\n  e: {extends: {file: compose.yaml, service: d}}\n"})
    cycles = [ln.split(": warning")[0] for ln in lines_of(report, "HF617") if "cycle" in ln]
    assert cycles == ["compose.yaml:3:7", "compose.yaml:4:24", "other.yaml:2:7"], report


def test_a_deeply_nested_value_is_ignored_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 3000 + "]" * 3000
    host, report, _ = imported(tmp_path, {"compose.yaml": f"services:\n  a:\n    image: alpine:3\n    x-deep: {deep}\n"})
    assert host["services"]["a"]["image"] == "docker.io/library/alpine:3"
    assert [ln.split(": warning")[0] for ln in lines_of(report, "HF601")] == ["compose.yaml:4:110"]
    assert "nested more than 100 levels deep" in report


def test_a_port_bound_to_an_ipv6_address_is_not_published_everywhere(tmp_path: Path) -> None:
    """[::1]:5432:5432 keeps the port on the machine: it becomes neither a publish on every address nor a site."""
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  db:
    image: postgres:16
    ports: ["[::1]:5432:5432", "[2001:db8::1]:6000:6000/udp"]
  web:
    image: nginx:1.27
    ports: ["[::1]:8080:80"]
"""})
    assert "publish" not in host["services"]["db"] and "sites" not in host and "port" not in host["services"]["web"]
    assert [ln.split(": warning")[0] for ln in lines_of(report, "HF607")] == [
        "compose.yaml:4:13", "compose.yaml:4:32", "compose.yaml:7:13"]
    assert all("IPv6 address" in ln for ln in lines_of(report, "HF607"))


def test_a_disabled_healthcheck_is_reported(tmp_path: Path) -> None:
    """Compose's disable: true (or test: [NONE]) turns the image's HEALTHCHECK off; hostform cannot: the report says so."""
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  a:
    image: alpine:3
    healthcheck: {test: [CMD, "true"], disable: true}
  b:
    image: alpine:3
    healthcheck: {test: [NONE]}
"""})
    assert "health" not in host["services"]["a"] and "health" not in host["services"]["b"]
    assert [ln.split(": HF")[0].split(": warning")[0] for ln in lines_of(report, "HF615")] == [
        "compose.yaml:4:40", "compose.yaml:7:19"]


def test_a_quadlet_with_environment_values_is_0600(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: alpine:3, network_mode: none, environment: {PW: hunter2}}\n"
                                           "  b: {image: alpine:3, network_mode: none}\n")
    assert run(tmp_path, "import", "compose").returncode == 0
    assert "Environment=PW=hunter2" in (tmp_path / "quadlets" / "a.container").read_text()
    assert os.stat(tmp_path / "quadlets" / "a.container").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "quadlets" / "b.container").st_mode & 0o777 == 0o644


@pytest.mark.parametrize("link", ["hostform.yaml", "import-report.txt", "quadlets", "quadlets/a.container", "out"])
def test_no_output_is_written_through_a_symlink(tmp_path: Path, link: str) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: alpine:3, network_mode: none, environment: {PW: x}}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out" / "quadlets").mkdir(parents=True)
    target = tmp_path / link if link == "out" else tmp_path / "out" / link
    if target.is_dir():
        shutil.rmtree(target)
    target.symlink_to(elsewhere if link in ("quadlets", "out") else elsewhere / "f")
    proc = run(tmp_path, "import", "compose", "-o", "out", "--force")
    assert proc.returncode == 1, proc.stderr
    assert "is a symlink" in proc.stderr and "Traceback" not in proc.stderr
    assert list(elsewhere.iterdir()) == []
    assert not (tmp_path / "out" / "hostform.yaml").exists() or link == "hostform.yaml"


def test_a_port_range_is_one_report_line(tmp_path: Path) -> None:
    host, report, build = imported(tmp_path, {"compose.yaml": "services:\n  s:\n    image: alpine:3\n"
                                             "    ports: ['8000-8010:8000-8010', '9000-9002']\n"})
    assert host["services"]["s"]["publish"] == [f"{p}:{p}" for p in range(8000, 8011)]
    assert "PublishPort=8010:8010" in (build / "quadlets" / "s.container").read_text()
    assert [ln.split(": ", 3)[2:] for ln in lines_of(report, "HF607")] == [
        ["services.s.ports[0]", "ports 8000-8010: published on every address of the VM, so the target's firewall opens them "
         "(warning HF024 at build); bind them to 127.0.0.1 to keep them on the VM; one publish entry per port, as hostform's "
         "publish takes one port an entry"],
        ["services.s.ports[1]", "ports 9000-9002: docker would publish them on random host ports: not published (the services "
         "reach them on the network by name)"]]


def test_a_port_out_of_range_is_one_clear_line_and_not_carried(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  s:
    image: alpine:3
    ports: ["99999:80", "0:0", "7000:70000", "0:81", {target: 82, published: 99999}]
"""})
    assert "publish" not in host["services"]["s"] and "port" not in host["services"]["s"] and "sites" not in host
    assert [ln.split(": ", 2)[2] for ln in report.splitlines()] == [
        "services.s.ports[0]: ports: the host port 99999 is not in 1-65535: not carried",
        "services.s.ports[1]: ports: the container port 0 is not in 1-65535: not carried",
        "services.s.ports[2]: ports: the container port 70000 is not in 1-65535: not carried",
        "services.s.ports[3]: port 81: docker would publish it on a random host port: not published (the services reach it "
        "on the network by name)",
        "services.s.ports[4]: ports: the host port 99999 is not in 1-65535: not carried"]


def test_a_service_named_x_something_is_renamed_for_the_right_reason(tmp_path: Path) -> None:
    host, report, _ = imported(tmp_path, {"compose.yaml": "services:\n  x-foo: {image: alpine:3}\n  podman-x: {image: alpine:3}\n"})
    assert set(host["services"]) == {"app-x-foo", "app-podman-x"}
    assert lines_of(report, "HF609") == [
        "compose.yaml:2:3: warning[HF609]: services.x-foo: service 'x-foo' is named 'app-x-foo' in hostform.yaml (in "
        "hostform.yaml a name starting with 'x-' is a key of your own, which hostform ignores); depends_on and sites follow",
        "compose.yaml:3:3: warning[HF609]: services.podman-x: service 'podman-x' is named 'app-podman-x' in hostform.yaml (it "
        "is the name of a unit of the host (Fedora CoreOS's or hostform's)); depends_on and sites follow"]


def test_long_syntax_devices_are_carried(tmp_path: Path) -> None:
    host, report, build = imported(tmp_path, {"compose.yaml": """\
services:
  s:
    image: alpine:3
    devices:
      - /dev/fuse
      - source: /dev/kvm
        target: /dev/kvm
        permissions: rwm
      - {source: /dev/dri, permissions: r}
      - {target: /dev/x}
"""})
    args = "--device=/dev/fuse --device=/dev/kvm:/dev/kvm:rwm --device=/dev/dri:/dev/dri:r"
    assert host["services"]["s"]["extra"] == {"PodmanArgs": args}
    assert f"PodmanArgs={args}" in (build / "quadlets" / "s.container").read_text()
    assert lines_of(report, "HF601") == [
        "compose.yaml:10:9: warning[HF601]: services.s.devices[3]: devices: a device without source: not carried"]


def test_same_key_list_items_are_deduplicated_as_compose_go_does(tmp_path: Path, oracle: str) -> None:
    """EnforceUnicity after each file, within one file too; a long secret {source: pg} has the short pg's target."""
    host, report, _ = imported(tmp_path, {"compose.yaml": """\
services:
  s:
    image: alpine:3
    secrets: [pg, {source: pg}, db]
    volumes: [data:/d, data:/d, more:/d, data:/e]
    ports: ["8080:8080", "8080:8080", "9000:9000"]
    cap_add: [NET_ADMIN, NET_ADMIN]
secrets:
  pg: {file: ./pg.txt}
  db: {file: ./pg.txt}
volumes:
  data:
  more:
""", "pg.txt": "x\n", "compose.override.yaml": "services:\n  s:\n    secrets: [{source: db, mode: 0400}]\n"})
    s = host["services"]["s"]
    assert s["secrets"] == ["pg", "db"]
    assert s["volumes"] == {"more": "/d", "data": "/e"} and s["publish"] == ["8080:8080", "9000:9000"]
    assert s["extra"] == {"AddCapability": "NET_ADMIN"}
    assert "already published" not in report and "mounted at" not in report
    go = _compose_go(oracle, tmp_path)["services"]["s"]
    assert [x["source"] for x in go["secrets"]] == s["secrets"]
    assert [(x["source"], x["target"]) for x in go["volumes"]] == [("more", "/d"), ("data", "/e")]
    assert [x["published"] for x in go["ports"]] == ["8080", "9000"] and go["cap_add"] == ["NET_ADMIN"]


@pytest.mark.parametrize("env, dotenv, name", [
    ({}, "COMPOSE_FILE=a.yml:b.yml\nCOMPOSE_PROJECT_NAME=dotenv-name\n", "dotenv-name"),
    ({"COMPOSE_PROJECT_NAME": "fromenv"}, "COMPOSE_FILE=a.yml:b.yml\nCOMPOSE_PROJECT_NAME=fromdotenv\n", "fromenv"),
    ({"COMPOSE_FILE": "a.yml;b.yml", "COMPOSE_PATH_SEPARATOR": ";"}, "COMPOSE_FILE=nope.yml\n", "fromyaml"),
    ({"COMPOSE_FILE": "a.yml"}, "", "fromyaml"),
])
def test_compose_file_and_project_name_as_compose_go(tmp_path: Path, oracle: str, env: dict[str, str], dotenv: str,
                                                     name: str) -> None:
    """COMPOSE_FILE names the files when none is given; COMPOSE_PROJECT_NAME comes before `name:`."""
    (tmp_path / "a.yml").write_text("name: fromyaml\nservices:\n  a: {image: alpine:3}\n")
    (tmp_path / "b.yml").write_text("services:\n  b: {image: alpine:3}\n")
    (tmp_path / "compose.yaml").write_text("name: default\nservices:\n  c: {image: alpine:3}\n")
    if dotenv:
        (tmp_path / ".env").write_text(dotenv)
    proc = run(tmp_path, "import", "compose", env=env)
    assert proc.returncode == 0, proc.stderr
    host = yaml.safe_load((tmp_path / "hostform.yaml").read_text())
    e = clean_env(tmp_path, tmp_path / ".home")
    e.update(env)
    from tests.compose.coverage import compose_config

    go = compose_config(oracle, tmp_path, (), e)
    assert host["name"] == go["name"] == name
    assert sorted(host["services"]) == sorted(go["services"])
