"""Issue 9, bullet by bullet: what a host file says is exactly what runs, or `hostform build` says why not.

Each test is one reproduction from the issue, run as a user runs it
(``hostform build DIR``), asserting the exit status, the code and where it
points in hostform.yaml; accepted values are followed to where they end up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hostform.cli.main import main

IMAGE = "docker.io/library/nginx:1"
FINDING = re.compile(r"^hostform\.yaml:(\d+):(\d+): (error|warning|info)\[(HF\d{3})\]: (.*)$", re.M)


def build(tmp_path: Path, text: str, capsys, files: dict[str, str] | None = None) -> tuple[int, list[tuple[int, int, str, str, str]], Path]:
    d = tmp_path / "p"
    d.mkdir(exist_ok=True)
    (d / "hostform.yaml").write_text(text, encoding="utf-8")
    for name, body in (files or {}).items():
        (d / name).write_text(body)
    code = main(["build", str(d), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.replace(f"{d}/", "")
    assert "Traceback" not in err and code in (0, 1), err
    found = [(int(a), int(b), c, e, m) for a, b, c, e, m in FINDING.findall(err)]
    return code, found, tmp_path / "out"


def refused(tmp_path, text, capsys, code, line, col, files=None):
    rc, found, _ = build(tmp_path, text, capsys, files)
    assert rc == 1, found
    assert (line, col, "error", code) in [f[:4] for f in found], found
    return found


# -------------------------------------------------------------- newlines write new directives


@pytest.mark.parametrize(
    "yaml,line,col",
    [
        # the issue's own example: a [Service] section with a command run as root
        (f'services:\n  web:\n    image: {IMAGE}\n    env: {{FOO: "x\\n[Service]\\nExecStartPre=/usr/bin/touch /pwned"}}\n', 5, 18),
        (f'services:\n  web:\n    image: {IMAGE}\n    command: ["serve", "x\\nExecStartPre=/x"]\n', 5, 26),
        (f'services:\n  web:\n    image: {IMAGE}\n    entrypoint: "/bin/a\\rB=1"\n', 5, 24),
        (f'services:\n  web:\n    image: {IMAGE}\n    port: 80\n    health: {{cmd: ["true", "\\n[Unit]"]}}\n', 6, 29),
        (f'services:\n  web:\n    image: {IMAGE}\n    extra: {{ShmSize: "64m\\nPodmanArgs=--privileged"}}\n', 5, 26),
        (f'services:\n  web:\n    image: {IMAGE}\n    secrets: [{{name: s, target: "/x\\ny"}}]\nsecrets: {{s: {{}}}}\n', 5, 36),
        ('updates: {schedule: "hourly\\nOnCalendar=minutely"}\n', 2, 28),
        (f'services:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{"example.org\\n": web}}\n', 4, 21),
        # a regular expression anchored with $ once let a final line break through
        ('name: "h\\n"\n', 1, 9),
        (f'services:\n  web:\n    image: "{IMAGE}\\n"\n', 4, 38),
        (f'services:\n  web:\n    image: {IMAGE}\n    publish: ["8080:80\\n"]\n', 5, 23),
        (f'services:\n  web:\n    image: {IMAGE}\n    resources: {{memory: "512m\\n"}}\n', 5, 30),
        (f'services:\n  web:\n    image: {IMAGE}\n    port: 80\n    health: {{http: /, interval: "30s\\n"}}\n', 6, 37),
        ('tls: {email: "a@example.org\\n"}\n', 2, 28),
    ],
)
def test_a_line_break_in_a_value_is_refused_where_it_is(tmp_path, capsys, yaml, line, col):
    text = yaml if yaml.startswith("name:") else "name: h\n" + yaml
    refused(tmp_path, text, capsys, "HF011", line, col)


def test_the_caret_points_at_the_character(tmp_path, capsys):
    d = tmp_path / "p"
    d.mkdir()
    line = '    env: {A: "x\\ty\\u2028z"}'  # the tab is allowed; the caret goes under \u2028
    (d / "hostform.yaml").write_text(f"name: h\nservices:\n  web:\n    image: {IMAGE}\n{line}\n")
    assert main(["build", str(d)]) == 1
    err = capsys.readouterr().err
    col = line.index("\\u2028") + 1
    assert f"{d}/hostform.yaml:5:{col}: error[HF011]: services.web.env.A: a line separator (U+2028) is not allowed" in err
    assert f"\n    {line}\n    {' ' * (col - 1)}^\n" in err


# -------------------------------------------------------------- shell and Terraform


@pytest.mark.parametrize("device", ["/dev/vdb&&touch>/evil", "/dev/vdb|x", "/dev/vdb;reboot", "/dev/$(id)", "/dev/../etc/passwd", "/dev/vdb\n"])
def test_state_device_is_a_device_path(tmp_path, capsys, device):
    # the caret is under the first character that makes it wrong, else at the value
    col = {"/dev/../etc/passwd": 23, "/dev/vdb\n": 26}.get(device, 17)
    refused(tmp_path, f"name: h\nstate: {{device: {json.dumps(device)}}}\n", capsys, "HF011", 2, col)


@pytest.mark.parametrize(
    "field,value",
    [("region", '${file("/etc/passwd")}'), ("size", "%{ if true }x%{ endif }"), ("zone", "${x}"), ("provider_version", '${file("/etc/passwd")}'),
     ("image", "${var.x}"), ("user_data_url", "https://example.org/${x}")],
)
def test_terraform_fields_refuse_templates(tmp_path, capsys, field, value):
    target = {"provider": "aws", "region": "eu-west-3", "size": "t3.small", field: value}
    text = "name: h\ntarget:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in target.items())
    line = 3 + list(target).index(field)
    rc, found, _ = build(tmp_path, text, capsys)
    assert rc == 1 and [(f[0], f[3]) for f in found if f[2] == "error"] == [(line, "HF011")] and found[0][4].startswith(f"target.{field}:"), found


def test_dns_names_are_domain_names(tmp_path, capsys):
    base = "name: h\ntarget:\n  provider: vultr\n  region: ams\n  size: s\n  image: i\n  dns: {domain: %s, records: [%s]}\n"
    refused(tmp_path, base % ('"${x}.org"', '""'), capsys, "HF011", 7, 18)
    refused(tmp_path, base % ("example.org", '"www${x}"'), capsys, "HF011", 7, 44)


# -------------------------------------------------------------- values change at runtime


def test_percent_and_dollar_are_kept_literal_for_systemd(tmp_path, capsys):
    """systemd expands %x and $VAR in unit files: the unit says %% and $$ (the podman line is checked in test_what_runs)."""
    text = f'name: h\nservices:\n  web:\n    image: {IMAGE}\n    env: {{PASSWORD: "a$HOME%h"}}\n    extra: {{HostName: "%H"}}\n    labels: {{x: "${{y}}"}}\n'
    rc, _, out = build(tmp_path, text, capsys)
    unit = (out / "quadlets" / "web.container").read_text()
    assert rc == 0 and "Environment=PASSWORD=a$$HOME%%h\n" in unit and "HostName=%%H\n" in unit and "Label=x=$${y}\n" in unit


@pytest.mark.parametrize("field,col", [('user: "%u"', 11), ('pod: "%p"', 10), ('user: "a\\0"', 13)])
def test_user_and_pod_refuse_specifiers_and_nul(tmp_path, capsys, field, col):
    refused(tmp_path, f"name: h\nservices:\n  web:\n    image: {IMAGE}\n    {field}\n", capsys, "HF011", 5, col)


# -------------------------------------------------------------- no traceback


@pytest.mark.parametrize(
    "yaml,line,col",
    [
        ('state: {path: "/var/mnt/a b"}\n', 2, 15),
        ("state: {path: \"/var/mnt/a'b\"}\n", 2, 15),
        (f'services:\n  web: {{image: {IMAGE}, volumes: {{"data\\n": /d}}}}\n', 3, 58),
        ('target: {provider: local, local: {up: "hostform try {oops"}}\n', 2, 39),
        ('target: {provider: local, local: {down: "echo }"}}\n', 2, 41),
        ('target: {provider: local, local: {up: "echo {name!r}"}}\n', 2, 45),
        ('quadlets: ["a\\0.container"]\n', 2, 14),
        ('butane: ["x\\0.bu"]\n', 2, 12),
        ('secrets: {s: {file: "s\\0", embed: true}}\n', 2, 23),
        (f'services:\n  web: {{image: {IMAGE}, env_files: ["/etc/\\0x"]}}\n', 3, 61),
    ],
)
def test_what_used_to_crash_is_a_located_error(tmp_path, capsys, yaml, line, col):
    refused(tmp_path, "name: h\n" + yaml, capsys, "HF011", line, col)


def test_aliases_cannot_blow_up_the_build(tmp_path, capsys):
    """A 60 KB host file that names a 1000-variable mapping in 1000 services: refused like go-yaml refuses it."""
    env = ", ".join(f"K{i}: v{i}" for i in range(1000))
    services = "".join(f"  s{i}: {{image: {IMAGE}, env: *e}}\n" for i in range(1000))
    text = f"name: h\nx-env: &e {{{env}}}\nservices:\n{services}"
    rc, found, _ = build(tmp_path, text, capsys)
    # at the alias that went over go-yaml's limit, one of the services' `*e`
    assert rc == 1 and [(f[1], f[3]) for f in found] == [(48, "HF001")] and 4 <= found[0][0] <= 1003 and "*e" in found[0][4], found


# -------------------------------------------------------------- typos are errors


@pytest.mark.parametrize(
    "yaml,hint,line,col",
    [
        ("site: {example.org: web}\n", "did you mean 'sites'?", 2, 1),
        ("volume: {data: /d}\n", "`volumes` is a key of services.NAME", 2, 1),
        ("tsl: {ca: staging}\n", "did you mean 'tls'?", 2, 1),
        (f"services:\n  web: {{image: {IMAGE}, volume: {{data: /d}}}}\n", "did you mean 'volumes'?", 3, 43),
        (f"services:\n  web: {{image: {IMAGE}, port: 80, helth: {{http: /}}}}\n", "did you mean 'health'?", 3, 53),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(tmp_path, capsys, yaml, hint, line, col):
    found = refused(tmp_path, "name: h\n" + yaml, capsys, "HF023", line, col)
    assert hint in found[0][4]


def test_keys_of_your_own_start_with_x(tmp_path, capsys):
    text = f"name: h\nx-notes: anything\nx-common: &c {{image: {IMAGE}}}\nservices:\n  web: *c\n  api: {{x-owner: me, image: {IMAGE}}}\n"
    rc, found, _ = build(tmp_path, text, capsys)
    assert rc == 0 and not [f for f in found if f[3] == "HF023"], found


# -------------------------------------------------------------- values are checked as their consumers read them


@pytest.mark.parametrize(
    "yaml,code,line,col",
    [
        ("updates: {schedule: every hour}\n", "HF011", 2, 21),
        ("updates: {schedule: Mon..Fri 25:00}\n", "HF011", 2, 21),
        ("updates: {randomized_delay: 5 minutez}\n", "HF011", 2, 29),
        (f"services:\n  web: {{image: {IMAGE}, port: 80, health: {{http: /, interval: 30}}}}\n", "HF011", 3, 81),
        ("services:\n  web: {image: docker.io/library/nginx}\n", "HF012", 3, 39),  # where the tag goes
        (f"services:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{Example.NET: web}}\n", "HF011", 4, 9),
        (f"services:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{'*.example.net': web}}\n", "HF011", 4, 10),
        (f"services:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{example.org: {{service: web, aliases: [WWW.example.org]}}}}\n", "HF011", 4, 47),
        (f"services:\n  web: {{image: {IMAGE}, resources: {{cpus: 1e400}}}}\n", "HF011", 3, 61),
        (f"services:\n  web: {{image: {IMAGE}, resources: {{cpus: 0}}}}\n", "HF011", 3, 61),
        (f"services:\n  web: {{image: {IMAGE}, port: 80, health: {{cmd: [CMD, pg_isready]}}}}\n", "HF011", 3, 68),
    ],
)
def test_values_are_read_as_their_consumers_read_them(tmp_path, capsys, yaml, code, line, col):
    refused(tmp_path, "name: h\n" + yaml, capsys, code, line, col)


def test_a_published_port_names_the_firewall_rule_it_opens(tmp_path, capsys):
    text = f'name: h\nservices:\n  db: {{image: {IMAGE}, publish: ["5432:5432", "127.0.0.1:6379:6379"]}}\n'
    rc, found, _ = build(tmp_path, text, capsys)
    warned = [f for f in found if f[3] == "HF024"]
    assert rc == 0 and len(warned) == 1 and warned[0][:2] == (3, 52) and "publish_5432_tcp" in warned[0][4], found


def test_without_a_state_volume_the_report_says_where_data_lives(tmp_path, capsys):
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, port: 80, volumes: {{d: /d}}}}\nsites: {{example.org: web}}\ntarget: {{provider: vultr, region: ams, size: s, image: i, state_volume: false}}\n"
    rc, found, out = build(tmp_path, text, capsys)
    assert rc == 0 and [f[3] for f in found if f[3] == "HF025"] == ["HF025"], found
    report = (out / "report.txt").read_text()
    assert "certificates on the root disk" in report and "state disk" not in report.split("tls:")[1].split("\n")[0]


def test_updates_off_means_no_auto_update_anywhere(tmp_path, capsys):
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{example.org: web}}\nupdates: {{enabled: false}}\n"
    rc, found, out = build(tmp_path, text, capsys)
    assert rc == 0 and not [f for f in found if f[3] in ("HF057", "HF018")], found
    assert "AutoUpdate=" not in (out / "quadlets" / "web.container").read_text()
    assert "podman-auto-update.timer" not in (out / "main.bu").read_text()


# -------------------------------------------------------------- secrets in the open


def test_env_values_are_root_only(tmp_path, capsys):
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, env: {{TOKEN: x}}}}\n  plain: {{image: {IMAGE}}}\n"
    rc, _, out = build(tmp_path, text, capsys)
    ign = json.loads((out / "main.ign").read_text())
    modes = {f["path"]: f["mode"] for f in ign["storage"]["files"]}
    assert rc == 0 and modes["/etc/containers/systemd/web.container"] == 0o600 and modes["/etc/containers/systemd/plain.container"] == 0o644
    assert (out / "quadlets" / "web.container").stat().st_mode & 0o777 == 0o600


def test_a_relative_env_file_needs_embed(tmp_path, capsys):
    files = {"app.env": "TOKEN=s3cret\n"}
    refused(tmp_path, f"name: h\nservices:\n  web: {{image: {IMAGE}, env_files: [app.env]}}\n", capsys, "HF015", 3, 55, files)
    rc, _, out = build(tmp_path, f"name: h\nservices:\n  web: {{image: {IMAGE}, env_files: [{{file: app.env, embed: true}}]}}\n", capsys, files)
    assert rc == 0 and "s3cret" in (out / "main.bu").read_text()
