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
    # the caret is under the first character that makes it wrong
    col = 18 + next(i for i, c in enumerate(device) if c in "&|;$\n" or device[i : i + 2] == "..")
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


@pytest.mark.parametrize("field,col", [('user: "%u"', 12), ('pod: "%p"', 11), ('user: "a\\0"', 13)])
def test_user_and_pod_refuse_specifiers_and_nul(tmp_path, capsys, field, col):
    refused(tmp_path, f"name: h\nservices:\n  web:\n    image: {IMAGE}\n    {field}\n", capsys, "HF011", 5, col)


# -------------------------------------------------------------- no traceback


@pytest.mark.parametrize(
    "yaml,line,col",
    [
        ('state: {path: "/var/mnt/a b"}\n', 2, 26),
        ("state: {path: \"/var/mnt/a'b\"}\n", 2, 26),
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
        ("volume: {data: /d}\n", "`volumes` is a key of jobs.NAME and services.NAME", 2, 1),
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


# -------------------------------------------------------------- found by a review of the above


def at(text: str, needle: str) -> tuple[int, int]:
    """(line, column) of the first character of ``needle`` in ``text`` (it occurs once)."""
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.mark.parametrize(
    "yaml,code,needle",
    [
        # an empty command was an IndexError
        (f"services:\n  web: {{image: {IMAGE}, port: 80, health: {{cmd: []}}}}\n", "HF011", "[]"),
        (f"services:\n  web: {{image: {IMAGE}, command: ''}}\n", "HF011", "''"),
        # a word on its own `;` splits ExecStart; a boolean key read as false; the unit's name is the service's
        (f"services:\n  web: {{image: {IMAGE}, extra: {{AddCapability: 'NET_ADMIN ; touch /x'}}}}\n", "HF011", "'NET_ADMIN"),
        (f"services:\n  web: {{image: {IMAGE}, extra: {{PodmanArgs: 'x \";\"'}}}}\n", "HF011", "'x "),
        (f"services:\n  web: {{image: {IMAGE}, extra: {{EnvironmentHost: maybe}}}}\n", "HF011", "maybe"),
        (f"services:\n  web: {{image: {IMAGE}, extra: {{ServiceName: other}}}}\n", "HF011", "ServiceName"),
        # a unit name that is another's
        (f"services:\n  sshd: {{image: {IMAGE}}}\n", "HF011", "{image"),
        (f"services:\n  systemd-journald: {{image: {IMAGE}}}\n", "HF011", "{image"),
        (f"services:\n  p-pod: {{image: {IMAGE}}}\n  web: {{image: {IMAGE}, pod: p}}\n", "HF011", f"{{image: {IMAGE}}}"),
        (f"services:\n  hostform-network: {{image: {IMAGE}}}\n", "HF011", "{image"),
        # systemd drops a line with a noncharacter
        (f'services:\n  web: {{image: {IMAGE}, env: {{A: "x\\uFFFEy"}}}}\n', "HF011", "\\uFFFE"),
        # a site name is a domain name with a dot; Caddy reaches a service by a host name
        (f"services:\n  web: {{image: {IMAGE}, port: 80}}\nsites: {{import: web}}\n", "HF011", "import"),
        (f"services:\n  my_app: {{image: {IMAGE}, port: 80}}\nsites: {{a.example.org: my_app}}\n", "HF011", "my_app}"),
        ("network: host\n", "HF011", "host"),
        ("target: {provider: aws, region: r, size: s, provider_version: 'v5.2'}\n", "HF011", "'v5.2'"),
        ("target: {provider: aws, region: r, size: s, user_data_url: 'https://example.org/a%zz'}\n", "HF011", "%zz"),
        ("target: {provider: aws, region: r, size: s, ssh_keys: [a, b]}\n", "HF500", "[a, b]"),
        ("services:\n  web: {image: 'docker.io/library/nginx:\u00e9'}\n", "HF011", "'docker"),
        (f"services:\n  web: {{image: 'docker.io/library/nginx@sha256:{'a' * 32}'}}\n", "HF011", "a" * 32 + "'"),
        (f"services:\n  web: {{image: {IMAGE}, resources: {{memory: 1k}}}}\n", "HF011", "1k"),
        (f"services:\n  web: {{image: {IMAGE}, volumes: {{a: /data, b: /data}}}}\n", "HF011", "/data}"),
        ("updates: {randomized_delay: infinity}\n", "HF011", "infinity"),
        (f"services:\n  web: {{image: {IMAGE}, command: 'echo $HOME'}}\n", "HF011", "$HOME"),
        (f"services:\n  web: {{image: {IMAGE}, command: 'a | b'}}\n", "HF011", "| b"),
        (f"services:\n  web: {{image: {IMAGE}, x: 2026-01-01}}\n", "HF023", "x: "),
        (f"services:\n  web: {{image: {IMAGE}, user: 2026-01-01}}\n", "HF002", "2026"),
    ],
)
def test_review_findings_are_refused(tmp_path, capsys, yaml, code, needle):
    text = "name: h\n" + yaml
    refused(tmp_path, text, capsys, code, *at(text, needle))


def test_a_field_of_a_service_is_not_checked_as_a_name(tmp_path, capsys):
    """`Health:` in a service is an unknown key with a suggestion, not an invalid service name."""
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, port: 80, Health: {{http: /}}}}\n"
    found = refused(tmp_path, text, capsys, "HF023", *at(text, "Health"))
    assert "did you mean 'health'" in found[0][4] and len(found) == 1


def test_x_names_are_the_users_own_and_merge_keys_work(tmp_path, capsys):
    text = (f"name: h\nx-base: &base {{image: {IMAGE}, port: 80}}\nservices:\n  x-template: {{image: nope}}\n"
            "  web: {<<: *base, env: {x-note: 1, A: b}, labels: {x-team: ops}}\nsites: {x-ray.example.org: web, example.org: web}\n")
    rc, found, out = build(tmp_path, text, capsys)
    assert rc == 0, found
    assert sorted(p.name for p in (out / "quadlets").iterdir()) == ["caddy.container", "hostform-sites.network", "hostform.network", "web.container"]
    unit = (out / "quadlets" / "web.container").read_text()
    assert f"Image={IMAGE}" in unit and "Environment=A=b" in unit and "x-note" not in unit
    # a site and a label name are data, not the user's own keys: x-ray.example.org is a domain
    assert "Label=x-team=ops" in unit
    assert "x-ray.example.org {" in (out / "Caddyfile").read_text()


def test_a_shell_string_health_check_runs_under_sh(tmp_path, capsys):
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, port: 80, health: {{cmd: 'curl -f http://localhost/ || exit 1'}}}}\n"
    rc, _, out = build(tmp_path, text, capsys)
    assert rc == 0
    assert 'HealthCmd=["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"]' in (out / "quadlets" / "web.container").read_text()


def test_a_command_string_is_split_as_sh_splits_it(tmp_path, capsys):
    text = f"""name: h\nservices:\n  web: {{image: {IMAGE}, command: 'echo "cost \\$5" "it''s" \\#1'}}\n"""
    rc, found, out = build(tmp_path, text, capsys)
    assert rc == 0, found
    assert 'Exec=echo "cost $$5" "it\'s" #1\n' in (out / "quadlets" / "web.container").read_text()


def test_a_private_address_is_not_opened_to_the_internet(tmp_path, capsys):
    rc, found, _ = build(tmp_path, f'name: h\nservices:\n  db: {{image: {IMAGE}, publish: ["10.0.0.5:5432:5432"]}}\n', capsys)
    assert rc == 0 and not [f for f in found if f[3] == "HF024"], found


def test_merged_butane_is_not_silently_dropped(tmp_path, capsys):
    files = {"x.bu": "variant: fcos\nversion: 1.5.0\nsystemd: {units: {name: evil.service}}\nstorage: 7\n",
             "deep.bu": "variant: fcos\nversion: 1.5.0\nx: " + "[" * 1000 + "]" * 1000 + "\n"}
    found = refused(tmp_path, "name: h\nbutane: [x.bu]\n", capsys, "HF011", 2, 10, files)
    assert sorted(f[4].split(":")[1].strip() for f in found if f[3] == "HF011") == ["storage is set by the Butane hostform writes, in another way",
                                                                                   "systemd.units is set by the Butane hostform writes, in another way"]
    refused(tmp_path, "name: h\nbutane: [deep.bu]\n", capsys, "HF011", 2, 10, files)
    (tmp_path / "p" / "bad.env").write_bytes(b"A=\xff\n")
    text = f"name: h\nservices:\n  web: {{image: {IMAGE}, env_files: [{{file: bad.env, embed: true}}]}}\n"
    found = refused(tmp_path, text, capsys, "HF004", *at(text, "{file: bad"))
    assert [f[4] for f in found if f[3] == "HF004"] == ["services.web.env_files[0] bad.env is not UTF-8 text (byte 2)"]


def test_target_json_is_walked_as_the_host_files_target(tmp_path, capsys):
    d = tmp_path / "p"
    d.mkdir()
    (d / "main.bu").write_text("variant: fcos\nversion: 1.5.0\n")
    (d / "target.json").write_text('{"provider": "local", "local": {"up": "echo {x}", "down": "x"}, "regoin": "ams"}\n')
    assert main(["plan", str(d)]) == 1
    err = capsys.readouterr().err
    text = (d / "target.json").read_text()
    assert "target.json:%d:%d: error[HF011]: local.up: 'echo {x}': {x} is not a placeholder" % at(text, "{x}") in err
    assert "target.json:%d:%d: error[HF023]: unknown top-level key 'regoin' (did you mean 'region'?)" % at(text, '"regoin"') in err


@pytest.mark.parametrize("podman,refused_here", [("5.4", True), ("5.8", False), ("6.1", False)])
def test_quotes_at_the_ends_of_a_one_value_key_only_where_quadlet_keeps_them(tmp_path, capsys, podman, refused_here):
    """Before podman 5.8.2 quadlet strips every '"' at either end of such a value: refused there, kept after
    (5.8 is 5.8.6, as hostform's 5.8 generator and tests/quadlet/test_version_changes.py's unmatched-quotes)."""
    text = f"name: h\npodman: '{podman}'\nservices:\n  web: {{image: {IMAGE}, entrypoint: '\"/bin/x\"'}}\n"
    rc, found, out = build(tmp_path, text, capsys)
    if refused_here:
        assert rc == 1 and [(f[3], f[4].split(":")[0]) for f in found if f[2] == "error"] == [("HF011", "entrypoint")], found
    else:
        assert rc == 0 and 'Entrypoint=""/bin/x""\n' in (out / "quadlets" / "web.container").read_text()
