"""A corpus of hostile host files: refused with a located HFxxx error, or built to the same structure.

Every string of three full host files (every key of the schema between them)
and every name (services, volumes, env, labels, sites, secrets, ...) gets each
hostile payload appended: line breaks that would write new directives, NUL,
``%`` specifiers, ``$`` variables, Terraform templates, Caddy placeholders,
braces, quotes, a backslash-newline, U+2028, 100 KB. Each variant is built
as ``hostform build`` builds it. It must either be refused with an error
located in hostform.yaml (never an internal error), or give outputs of the
same shape as the unchanged host file: the same files, the same unit-file
sections and keys in the same order, the same Butane, Ignition and Terraform
keys, the same Caddyfile directives. A new directive, section, file, site or
Terraform template from a value is a failure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.host.build import outputs
from hostform.host.render import to_yaml
from hostform.host.schema import HOST

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me@laptop"

BCRYPT = "$2a$14$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG"  # `caddy hash-password --plaintext secret`

SERVICES = {
    "app": {
        "image": "ghcr.io/example/app:1.2",
        "command": ["serve", "--port", "9000"],
        "entrypoint": "/bin/app",
        "env": {"A": "1", "B": "two words"},
        "env_files": [{"file": "app.env", "embed": True}, "/etc/app/extra.env"],
        "secrets": ["token", {"name": "db", "env": "DB_PASSWORD"}, {"name": "token", "target": "/run/tok"}],
        "volumes": {"data": "/var/lib/app"},
        "port": 9000,
        "publish": ["127.0.0.1:2222:22/tcp"],
        "health": {"cmd": ["app", "ping"], "interval": "10s", "timeout": "2s", "retries": 5, "start_period": "1m"},
        "resources": {"memory": "512m", "cpus": "0.5"},
        "user": "1000:1000",
        "restart": "always",
        "auto_update": True,
        "read_only": True,
        "labels": {"app.kind": "web"},
        "extra": {"ShmSize": "64m"},
        "depends_on": ["worker"],
        "backup": {"before": ["sh", "-c", "pg_dump > /var/lib/app/dump.sql"], "stop": False},
    },
    "worker": {"image": "ghcr.io/example/worker:1", "pod": "grp", "port": 8000, "health": {"http": "/healthz?x=1"}},
}

BASES = {
    "aws": {
        "name": "full",
        "podman": "5.8",
        "butane_version": "1.5.0",
        "services": SERVICES,
        "jobs": {"dump": {"image": "ghcr.io/example/pgdump:1", "command": ["sh", "-c", "pg_dump -h app > /backup/db.sql"],
                          "schedule": "Mon..Fri *-*-* 03:30", "env": {"PGUSER": "app"}, "volumes": {"data": "/backup"},
                          "user": "1000"}},
        "sites": {"app.example.org": {"service": "app", "aliases": ["www.example.org"], "encode": ["zstd", "gzip"],
                                      "redirect_from": ["old.example.org"], "headers": {"X-Frame-Options": "DENY"},
                                      "basic_auth": {"admin": {"hash": BCRYPT}, "ops": BCRYPT}, "caddy": "respond /ping 200\n"},
                  "w.example.org": "worker"},
        "tls": {"email": "a@example.org", "ca": "staging"},
        "updates": {"schedule": "Mon..Fri *-*-* 04:00", "randomized_delay": "5min", "enabled": True},
        "state": {"size": "20GiB", "device": "/dev/nvme1n1", "path": "/var/mnt/data", "format": "xfs"},
        "secrets": {"token": {}, "db": {"file": "db.txt", "embed": True}},
        "recipients": ["age1qh2734kahldzvpwtd2exgg23gck08uz62ttmmyxh4lsdlvnuyvys4mzjt9"],
        "registries": {"ghcr.io": {"username": "me", "password": {"secret": "db"}}},
        "access": {"ssh_keys": [KEY]},
        "observability": {"endpoint": "https://otlp.example.org/otlp", "image": "ghcr.io/example/otelcol:0.160.0",
                          "headers": {"X-Scope-OrgID": {"value": "tenant1"}, "Authorization": {"secret": "token"}}, "interval": "30s"},
        "backups": {"repository": "sftp:backup@backups.example.org:/srv/restic/full", "password": {"secret": "token"},
                    "env": {"AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": {"secret": "db"}},
                    "schedule": "*-*-* 02:00", "keep": {"daily": 3}, "restore": "on-blank", "ssh_key": {"secret": "db"},
                    "known_hosts": ["backups.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"],
                    "image": "ghcr.io/example/restic:0.18.1", "timeout": "2h"},
        "network": "net1",
        "quadlets": ["extra.container"],
        "butane": ["extra.bu"],
        "target": {
            "provider": "aws",
            "region": "eu-west-3",
            "zone": "eu-west-3b",
            "size": "t3.small",
            "image": "ami-0123",
            "arch": "aarch64",
            "ssh_keys": ["me"],
            "reserved_ip": True,
            "dns": {"domain": "example.org", "records": ["", {"name": "www", "type": "A", "ttl": 60}]},
            "user_data_url": "https://example.org/full.ign",
            "provider_version": ">= 5.60",
        },
    },
    "vultr": {
        "name": "web",
        "services": {"site": {"image": "docker.io/library/nginx:1", "port": 80, "health": {"http": "/"}}},
        "sites": {"example.org": "site"},
        "target": {
            "provider": "vultr",
            "region": "ams",
            "plan": "vc2-1c-1gb",
            "image_url": "https://example.org/fcos.raw",
            "state_volume": {"enabled": True, "device": "/dev/vdc"},
        },
    },
    "local": {
        "name": "try",
        "services": {"site": {"image": "docker.io/library/nginx:1", "port": 80}},
        "target": {"provider": "local", "local": {"up": "hostform try --detach {dir}", "down": "hostform try --stop {name}"}},
    },
}

PAYLOADS = {
    "newline": "\n[Service]\nExecStartPre=/usr/bin/touch /pwned",
    "cr": "\rExecStartPre=/x",
    "nul": "\x00",
    "percent": "%h",
    "dollar": "$HOME",
    "tf-template": '${file("/etc/passwd")}',
    "tf-directive": "%{ if true }x%{ endif }",
    "caddy-env": "{$HOME}",
    "open-brace": "{",
    "close-brace": "}\nevil.org {",
    "dquote": '"',
    "squote": "'",
    "backslash-newline": "\\\nExecStartPre=/x",
    "trailing-backslash": "\\",
    "u2028": "\u2028",
    "semicolon": " ; rm -rf /",
    "long": "a" * 100_000,
}

FILES = {
    "app.env": "X=1\n",
    "db.txt": "s3cret",
    "extra.container": "[Container]\nImage=docker.io/library/redis:7\nNetwork=net1.network\n",
    "extra.bu": "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents: {inline: hi}\n",
}


def _places(value, path=()):
    """(path, is_name) of every string leaf and of every mapping key that is a name (not a schema field)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if _is_name(path + (k,)):
                yield path + (k,), True
            yield from _places(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _places(v, path + (i,))
    elif isinstance(value, str):
        yield path, False


def _is_name(path) -> bool:
    """Is the last element of ``path`` a name the user chose (a key of an objmap or strmap)?"""
    key = HOST
    for p in path[:-1]:
        if isinstance(p, int):
            continue
        if key.kind in ("objmap", "strmap"):
            continue  # p is a name: stay on the same key (its fields come next)
        f = key.field(p)
        if f is None:
            return False
        key = f
    return key.kind in ("objmap", "strmap")


def _mutate(base, path, is_name, payload):
    data = json.loads(json.dumps(base))
    node = data
    for p in path[:-1]:
        node = node[p]
    last = path[-1]
    if is_name:
        node[last + payload] = node.pop(last)
        if path[:1] == ("services",) and len(path) == 2:  # keep the references to it valid
            for s in data.get("sites", {}).values():
                if isinstance(s, dict) and s.get("service") == last:
                    s["service"] = last + payload
            for k, s in list(data.get("sites", {}).items()):
                if s == last:
                    data["sites"][k] = last + payload
    else:
        node[last] = node[last] + payload
    return data


def _write(d: Path, data) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (d / name).write_text(text)
    (d / "hostform.yaml").write_text(to_yaml(data), encoding="utf-8", errors="surrogatepass")


# ------------------------------------------------------------------ shapes

_UNIT_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)=|^\s*(\[[^\]]*\])\s*$")


def _unit_shape(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        m = _UNIT_LINE.match(line)
        out.append((m.group(1) or m.group(2)) if m else f"<not a unit line: {line[:40]!r}>")
    return out


def _tree_shape(value) -> object:
    if isinstance(value, dict):
        return {k: _tree_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tree_shape(v) for v in value]
    return type(value).__name__


def _units_in(ign: dict) -> dict[str, list[str]]:
    """Every unit file and quadlet of an Ignition config, as unit shapes."""
    from hostform.host.bundle import files_and_units

    files, units = files_and_units(ign)
    out = {u.name: _unit_shape(u.text or "") for u in units}
    for u in units:
        for name, text in u.dropins:
            out[f"{u.name}/{name}"] = _unit_shape(text)
    for f in files:
        if f.vm_path.startswith("/etc/containers/systemd/"):
            out[f.vm_path] = _unit_shape(f.text)
    return out


def _caddy_shape(text: str, blocks_only: bool = False) -> list[str]:
    """The first word of each line; ``blocks_only``: of the lines outside the site blocks (the sites
    and global options), where a site's raw `caddy` snippet, lines of its own by design, must not reach."""
    lines = [ln for ln in text.split("\n") if not (blocks_only and (ln.startswith("\t") or not ln.strip()))]
    out = []
    names = False  # in a block whose lines start with a name of the host file (a header, a user)
    for line in lines:
        words = line.split()
        if names and words not in (["}"], ["defer"]):
            out.append("<name>")
            continue
        names = words in (["header", "{"], ["basic_auth", "{"])
        out.append(words[0] if words else "")
    return out


def shape(bundle, snippet: bool = False) -> dict:
    """What must not change when only a value changes (``snippet``: a site's raw `caddy` snippet)."""
    out: dict = {}
    for rel, data, *_ in outputs(bundle):
        text = data.decode("utf-8", "surrogateescape")
        if rel == "main.ign":
            ign = json.loads(text)
            out[rel] = _tree_shape(ign)
            out["units"] = _units_in(ign)
        elif rel.startswith("quadlets/"):
            out[rel.split("/")[0] + "/*"] = out.get("quadlets/*", 0) + 1  # the names may carry the payload
        elif rel == "Caddyfile":
            out[rel] = _caddy_shape(text, snippet)
        elif rel.endswith(".json"):
            tf = json.loads(text)
            out[rel] = _tree_shape(tf)
            out["templates"] = sorted(set(re.findall(r"(?<![$%])[$%]\{[^}]*\}", text)))
        elif rel != "report.txt" and not rel.startswith("."):
            out[rel] = "present"
    # unit names carry a service's name: compare the shapes without them
    out["units"] = sorted(out.get("units", {}).values())
    return out


def _benign(tmp_path: Path, base: str, snippet: bool = False) -> dict:
    d = tmp_path / f"benign-{base}"
    _write(d, BASES[base])
    b = pipeline.build(d, pipeline.Options(checks=False))
    assert b.ignition is not None, b.report.format()
    return shape(b, snippet)


CASES = [(base, path, is_name) for base in BASES for path, is_name in _places(BASES[base])]


def test_the_corpus_is_large_and_covers_every_string_key():
    from hostform.host.schema import all_keys

    covered = {".".join(str(p) for p in path if not isinstance(p, int)) for _, path, _ in CASES}
    assert len(CASES) * len(PAYLOADS) >= 50
    strings = [shown for shown, k in all_keys() if k.kind in ("str", "strlist", "command", "strmap", "objmap")]
    plain = {re.sub(r"\.NAME|\[\]", "", s) for s in strings}
    names = {"services": "app", "sites": "app.example.org", "secrets": "token", "registries": "ghcr.io"}
    missing = []
    for s in sorted(plain):
        concrete = s
        for k, v in names.items():
            concrete = concrete.replace(k + ".", f"{k}.{v}.", 1) if concrete.startswith(k + ".") else concrete
        if not any(c == concrete or c.startswith(concrete + ".") or c.endswith("." + s.split(".")[-1]) for c in covered):
            missing.append(s)
    assert missing == [], missing


@pytest.mark.parametrize("base,path,is_name", CASES, ids=[f"{b}:{'.'.join(map(str, p))}{'(name)' if n else ''}" for b, p, n in CASES])
def test_hostile_values_are_refused_or_inert(tmp_path, base, path, is_name):
    snippet = path[-1] == "caddy" and not is_name  # raw Caddyfile lines by design: only its site block must hold it
    benign = _benign(tmp_path, base, snippet)
    accepted = []
    for label, payload in PAYLOADS.items():
        d = tmp_path / label
        _write(d, _mutate(BASES[base], path, is_name, payload))
        b = pipeline.build(d, pipeline.Options(checks=False))  # never raises: an exception here is exit 3 for a user
        errors = b.report.errors
        if errors:
            for e in errors:
                assert e.code.startswith("HF") and e.file and e.line > 0, e.format()
            assert any(e.file == "hostform.yaml" for e in errors), (label, b.report.format())
            continue
        assert b.ignition is not None, (label, b.report.format())
        assert shape(b, snippet) == benign, f"{label}: the value changed the structure of the outputs"
        accepted.append(label)
    # a string goes somewhere: the line-breaking payloads can never be accepted (but in a snippet, lines of its own)
    assert not {"newline", "cr", "nul", "u2028", "backslash-newline", "long"} - ({"newline", "backslash-newline"} if snippet else set()) & set(accepted), accepted
