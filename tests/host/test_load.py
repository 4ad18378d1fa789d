"""Loading hostform.yaml: every key, defaults, located errors."""

from __future__ import annotations

import pytest

from hostform.host import model as m
from hostform.host.load import load_text
from hostform.host.schema import HOST

FULL = """\
name: full
podman: "5.4"
butane_version: 1.6.0
services:
  app:
    image: ghcr.io/example/app:1.2
    command: [serve, --port, "9000"]
    entrypoint: /bin/app
    env: {A: 1, B: "two words", C: true}
    env_files: [{file: app.env, embed: true}, /etc/app/extra.env]
    secrets: [token, {name: db, env: DB_PASSWORD}]
    volumes: {data: /var/lib/app}
    port: 9000
    publish: ["2222:22/tcp"]
    health: {cmd: [app, ping], interval: 10s, timeout: 2s, retries: 5, start_period: 1m}
    resources: {memory: 512m, cpus: 0.5}
    user: "1000:1000"
    restart: always
    auto_update: false
    pod: grp
    read_only: true
    init: true
    backup: {before: "pg_dump -f /var/lib/app/dump.sql", stop: false}
    labels: {app.kind: web}
    extra: {ShmSize: 64m}
    depends_on: [db]
  db:
    image: docker.io/library/postgres:17
jobs:
  dump:
    image: registry.example.org/tools/pgdump:1
    command: [sh, -c, "pg_dump -h db > /backup/db.sql"]
    schedule: Mon..Fri *-*-* 03:30
    env: {PGUSER: app, PGPORT: 5432}
    volumes: {backup: /backup}
    user: "1000"
sites:
  app.example.org:
    service: app
    port: 9000
    aliases: [www.example.org]
    encode: [zstd, gzip]
    redirect_from: [old.example.org]
    headers: {X-Frame-Options: DENY, Content-Security-Policy: "default-src 'self'"}
    basic_auth:
      admin: {hash: $2a$14$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG}
      ops: $2b$04$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG
    caddy: |
      respond /ping 200
tls: {email: a@example.org, ca: internal}
updates: {schedule: daily, randomized_delay: 5m, enabled: true}
state: {size: 20GiB, device: /dev/sdb, path: /var/mnt/data, format: xfs}
secrets:
  token: {}
  db: {file: db.txt, embed: true}
recipients: [age1qh2734kahldzvpwtd2exgg23gck08uz62ttmmyxh4lsdlvnuyvys4mzjt9]
registries:
  ghcr.io/example: {username: me, password: {secret: db}}
access: {ssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me"]}
observability:
  endpoint: https://otlp.example.org/otlp
  headers: {X-Scope-OrgID: {value: tenant1}, Authorization: {secret: token}, x-extra: plain}
  image: registry.example.org/otelcol:0.160.0
  interval: 30s
status: {token: {secret: status-token}, site: app.example.org}
backups:
  repository: sftp:backup@backups.example.org:/srv/restic/full
  password: {secret: token}
  env: {AWS_DEFAULT_REGION: {value: eu-west-3}, AWS_ACCESS_KEY_ID: {secret: db}}
  schedule: "*-*-* 02:00"
  keep: {daily: 3, weekly: 2, monthly: 1, yearly: 1}
  prune: true
  restore: on-blank
  ssh_key: {secret: db}
  known_hosts: ["backups.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"]
  image: registry.example.org/restic:0.18.1
  timeout: 2h
network: net1
quadlets: [extra.container]
butane: [extra.bu]
target:
  provider: aws
  region: eu-west-3
  zone: eu-west-3b
  size: t3.small
  image: ami-0123
  arch: aarch64
  ssh_keys: [me]
  reserved_ip: true
  state_volume: {enabled: true, device: /dev/sdb}
  dns: {domain: example.org, records: ["", {name: www, type: A, ttl: 60}]}
  user_data_url: https://example.org/full.ign
  provider_version: ">= 5.60"
  local: {up: "true {dir}", down: "true {name}"}
"""


def codes(loaded):
    return [d.code for d in loaded.report]


def test_every_key_loads():
    ld = load_text(FULL, sealed=["status-token"])
    assert not ld.report.is_fatal(), ld.report.format()
    h = ld.host
    s = h.services[0]
    assert (h.name, h.podman, h.butane_version, h.network) == ("full", "5.4", "1.6.0", "net1")
    assert s.command == ("serve", "--port", "9000")
    assert s.env == (("A", "1"), ("B", "two words"), ("C", "true"))
    assert s.env_files == ("app.env", "/etc/app/extra.env")
    assert [(u.name, u.env) for u in s.secrets] == [("token", None), ("db", "DB_PASSWORD")]
    assert s.volumes == (("data", "/var/lib/app"),)
    assert s.health.cmd == ("app", "ping") and s.health.retries == 5
    assert (s.memory, s.cpus, s.user, s.restart, s.auto_update, s.pod, s.read_only, s.init) == ("512m", "0.5", "1000:1000", "always", False, "grp", True, True)
    assert not h.services[1].init
    assert s.extra == (("ShmSize", "64m"),) and s.labels == (("app.kind", "web"),)
    assert s.depends_on == ("db",) and h.services[1].depends_on == ()
    j = h.jobs[0]
    assert (j.name, j.image, j.schedule, j.user, j.pull) == ("dump", "registry.example.org/tools/pgdump:1", "Mon..Fri *-*-* 03:30", "1000", True)
    assert j.command == ("sh", "-c", "pg_dump -h db > /backup/db.sql")
    assert j.env == (("PGPORT", "5432"), ("PGUSER", "app")) and j.volumes == (("backup", "/backup"),)
    site = h.sites[0]
    assert (site.address, site.service, site.port, site.aliases, site.encode) == ("app.example.org", "app", 9000, ("www.example.org",), ("zstd", "gzip"))
    assert site.redirect_from == ("old.example.org",)
    assert site.headers == (("X-Frame-Options", "DENY"), ("Content-Security-Policy", "default-src 'self'"))
    assert [u for u, _ in site.basic_auth] == ["admin", "ops"] and site.basic_auth[1][1].startswith("$2b$04$")
    assert site.caddy == "respond /ping 200\n"
    assert (h.tls.email, h.tls.ca) == ("a@example.org", "internal")
    assert (h.updates.schedule, h.updates.randomized_delay) == ("daily", "5m")
    assert (h.state.device, h.state.path, h.state.format, h.state.volume) == ("/dev/sdb", "/var/mnt/data", "xfs", True)
    t = h.target
    assert (t.provider, t.region, t.zone, t.size, t.image, t.arch, t.ssh_keys) == ("aws", "eu-west-3", "eu-west-3b", "t3.small", "ami-0123", "aarch64", ("me",))
    assert t.state_volume.size_gb == 20 and t.device("x") == "/dev/sdb"
    assert [(r.name, r.ttl) for r in t.dns.records] == [("", 300), ("www", 60)]
    assert (t.user_data_url, t.provider_version, t.local.up) == ("https://example.org/full.ign", ">= 5.60", "true {dir}")
    assert [(x.name, x.file, x.embed) for x in h.secrets] == [("db", "db.txt", True), ("status-token", "secrets/status-token.age", False),
                                                              ("token", None, False)]
    # the status token is only hashed into the Caddyfile: it is not sent to the VM
    assert h.status == m.Status("app.example.org", "status-token") and not h.secrets[1].shipped
    assert h.recipients == ("age1qh2734kahldzvpwtd2exgg23gck08uz62ttmmyxh4lsdlvnuyvys4mzjt9",)
    assert [(r.host, r.username, r.password_secret) for r in h.registries] == [("ghcr.io/example", "me", "db")]
    assert h.access.ssh_keys == ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me",)
    assert h.quadlets == ("extra.container",) and h.butane == ("extra.bu",)
    ob = h.observability
    assert (ob.endpoint, ob.image, ob.interval) == ("https://otlp.example.org/otlp", "registry.example.org/otelcol:0.160.0", "30s")
    assert [(x.name, x.value, x.secret) for x in ob.headers] == [
        ("X-Scope-OrgID", "tenant1", None), ("Authorization", None, "token"), ("x-extra", "plain", None)]  # x- is a header here
    assert s.backup == m.ServiceBackup(("/bin/sh", "-c", "pg_dump -f /var/lib/app/dump.sql"), False) and h.services[1].backup is None
    bk = h.backups
    assert (bk.repository, bk.password_secret, bk.schedule, bk.restore, bk.image, bk.timeout, bk.ssh_key_secret) == (
        "sftp:backup@backups.example.org:/srv/restic/full", "token", "*-*-* 02:00", "on-blank", "registry.example.org/restic:0.18.1",
        "2h", "db")
    assert bk.keep == (("daily", 3), ("weekly", 2), ("monthly", 1), ("yearly", 1)) and bk.known_hosts[0].startswith("backups.example.org ")
    assert [(e.name, e.value, e.secret) for e in bk.env] == [("AWS_DEFAULT_REGION", "eu-west-3", None), ("AWS_ACCESS_KEY_ID", None, "db")]


def test_every_schema_key_is_in_the_full_example():
    import re

    def names(key, out):
        for f in key.fields:
            out.add(f.name)
            names(f, out)
        return out

    used = set(re.findall(r"([a-z_]+):", FULL))
    # http, plan, image_url, os_id: exclusive with cmd, size, image (tested in tests/terraform)
    assert names(HOST, set()) - used <= {"http", "plan", "image_url", "os_id"}


def test_target_state_volume_follows_state():
    """One source of truth: the volume's size is state.size; its device is state.device or the target's, not both."""
    h = load_text("name: h\nstate: {size: 1536MiB}\ntarget: {provider: hetzner, region: fsn1, size: cx22, image: '1'}\n").host
    assert h.target.state_volume.size_gb == 2 and h.state.device == "/dev/sdb" and h.state.volume
    h = load_text("name: web\ntarget: {provider: digitalocean, region: fra1, size: s, image: '1'}\n").host
    assert h.state.device == "/dev/disk/by-id/scsi-0DO_Volume_web-state"
    h = load_text("name: h\nstate: {device: /dev/vdc}\ntarget: {provider: vultr, region: ams, size: s, image: i}\n").host
    assert h.state.device == "/dev/vdc" and h.target.device("x") == "/dev/vdc"
    h = load_text("name: h\ntarget: {provider: vultr, region: ams, size: s, image: i, state_volume: false}\n").host
    assert h.target.state_volume is None and not h.state.volume
    h = load_text("name: h\ntarget: {provider: local}\n").host
    assert h.target.state_volume is None and not h.state.volume
    h = load_text("name: h\n").host
    assert h.target is None and h.state.device == "/dev/vdb" and h.state.volume


@pytest.mark.parametrize(
    "text,code,line,col",
    [
        ("name: h\ntarget:\n  provider: vultr\n  region: ams\n", "HF500", 3, 3),  # no size
        ("name: h\ntarget: {provider: mars}\n", "HF011", 2, 20),
        ("name: h\ntarget:\n  provider: local\n  dns: {domain: x.org}\n", "HF500", 4, 8),
        ("name: h\ntarget:\n  provider: aws\n  region: r\n  size: s\n  os_id: 5\n", "HF500", 6, 10),
        ("name: h\nstate: {device: /dev/vdc}\ntarget: {provider: aws, region: r, size: s, state_volume: {device: /dev/vdd}}\n", "HF011", 3, 68),
        ("name: h\ntarget: {provider: aws, region: r, size: s, reserved_ip: maybe}\n", "HF002", 2, 58),
    ],
)
def test_target_errors_are_located(text, code, line, col):
    ld = load_text(text)
    assert ld.host is None
    d = next(d for d in ld.report.errors)
    assert (d.code, d.file, d.line, d.col) == (code, "hostform.yaml", line, col), ld.report.format()


def test_defaults():
    ld = load_text("name: h\nservices:\n  a: {image: quay.io/x/y:1}\n")
    h = ld.host
    assert h.podman == "5.8" and h.butane_version == "1.5.0" and h.network == "hostform"
    assert h.updates.schedule == "hourly" and h.updates.randomized_delay == "0"
    assert h.state.path == "/var/mnt/state" and h.tls.ca == "production"
    s = h.services[0]
    assert s.restart == "on-failure" and s.auto_update and s.health is None
    assert h.access.ssh_keys == ()


@pytest.mark.parametrize(
    "text,code,line,col",
    [
        ("name: [\n", "HF001", 1, 8),  # the end of the text, where the ] is missing
        ("", "HF010", 1, 1),
        ("services: {}\n", "HF010", 1, 1),
        ("name: h\nservices:\n  a: {port: 80}\n", "HF010", 3, 6),
        ("name: h\nservices:\n  a:\n    image: nginx\n", "HF012", 4, 12),
        ("name: h\nservices:\n  a:\n    image: docker.io/x/y:1\n    port: http\n", "HF002", 5, 11),
        ("name: h\nservices:\n  a:\n    image: docker.io/x/y:1\n    port: 70000\n", "HF011", 5, 11),
        ("name: h\nservices:\n  a:\n    image: docker.io/x/y:1\n    restart: sometimes\n", "HF011", 5, 14),
        ("name: h\nsites: {a.org: nope}\n", "HF013", 2, 16),
        ("name: h\nservices:\n  a: {image: docker.io/x/y:1}\nsites: {a.org: a}\n", "HF014", 4, 16),
        ("name: h\nsecrets:\n  s: {file: s.txt}\n", "HF015", 3, 13),
        ("name: h\nnmae: x\n", "HF023", 2, 1),
        ("name: Bad_Name\n", "HF011", 1, 7),
        ("name: h\nname: g\n", "HF011", 2, 1),
        ("name: h\nservices:\n  a:\n    image: docker.io/x/y:1\n    image: docker.io/x/z:1\n", "HF011", 5, 5),
        ("name: h\ntls: {ca: letsencrypt}\n", "HF011", 2, 11),
        ("name: h\nupdates: {enabled: maybe}\n", "HF002", 2, 20),
    ],
)
def test_errors_are_located(text, code, line, col):
    ld = load_text(text, "hostform.yaml")
    got = [(d.code, d.line, d.col) for d in ld.report]
    assert (code, line, col) in got, ld.report.format()
    for d in ld.report:
        assert d.format().startswith(f"hostform.yaml:{d.line}:{d.col}: ")


def test_unknown_key_suggests():
    ld = load_text("name: h\nservices:\n  a: {image: docker.io/x/y:1, imgae: z}\n")
    assert "did you mean 'image'" in ld.report.format()
    assert ld.host is None  # an error: a typo must not silently drop what it meant


@pytest.mark.parametrize(
    "image,code",
    [
        ("docker.io/library/caddy:2", None),
        ("ams.vultrcr.com/lthms/www/soap.coffee:live", None),
        ("localhost:5000/app:1", None),
        ("localhost/app:1", None),
        ("ghcr.io/x/y@sha256:" + "a" * 64, None),
        ("ghcr.io/x/y:1@sha256:" + "a" * 64, None),
        ("caddy:2", "HF012"),
        ("library/caddy:2", "HF012"),
        ("localhost:5000/app", "HF012"),  # no tag: what would auto-update follow?
        ("ghcr.io/x/y", "HF012"),
        ("ghcr.io/X/y:1", "HF011"),  # repository names are lower case
        ("ghcr.io/x/y:1\n", "HF011"),
        ("ghcr.io/x/y:1 ", "HF011"),
    ],
)
def test_image_references(image, code):
    from hostform.host.values import image as check

    p = check(image, {})
    assert (p.code if p else None) == code


def _svc(name: str, extra: str) -> str:
    return f"  {name}:\n    image: docker.io/x/{name}:1\n{extra}"


@pytest.mark.parametrize(
    "services,found",
    [
        # one host port, two services: the second is located at its publish item
        (_svc("a", '    publish: ["8080:80"]\n') + _svc("b", '    publish: ["8080:81"]\n'), ("HF021", 8, 15)),
        # a wildcard binding conflicts with an address-specific one
        (_svc("a", '    publish: ["127.0.0.1:8080:80"]\n') + _svc("b", '    publish: ["8080:81"]\n'), ("HF021", 8, 15)),
        (_svc("a", '    publish: ["70000:80"]\n'), ("HF021", 5, 15)),
        (_svc("a", '    publish: ["8080:0"]\n'), ("HF021", 5, 15)),
        (_svc("a", "    volumes: {app-data: /d}\n") + _svc("b", "    volumes: {app_data: /d}\n"), ("HF022", 8, 25)),
    ],
)
def test_cross_checks_trigger(services, found):
    ld = load_text("name: h\nservices:\n" + services, "hostform.yaml")
    got = [(d.code, d.line, d.col) for d in ld.report]
    assert found in got, ld.report.format()
    assert got.count(found) == 1


@pytest.mark.parametrize(
    "services",
    [
        _svc("a", '    publish: ["8080:80"]\n') + _svc("b", '    publish: ["8081:80", "8080:80/udp"]\n'),
        _svc("a", '    publish: ["127.0.0.1:8080:80"]\n') + _svc("b", '    publish: ["127.0.0.2:8080:80"]\n'),
        _svc("a", '    publish: ["65535:1"]\n'),
        _svc("a", "    volumes: {app-data: /d}\n") + _svc("b", "    volumes: {app-data: /e, cache: /c}\n"),
    ],
)
def test_cross_checks_quiet(services):
    ld = load_text("name: h\nservices:\n" + services, "hostform.yaml")
    assert not [d for d in ld.report if d.code in ("HF021", "HF022")], ld.report.format()
    assert ld.host is not None
