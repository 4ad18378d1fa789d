"""Secrets kept encrypted beside the host file (issue 13, items 1 to 3), as a user meets them.

A project made with the CLI: `hostform secret keygen` makes an identity, its public key goes under
`recipients:`, `hostform secret set` encrypts values into secrets/NAME.age, and `hostform build` builds.
Claims checked:
- the files are age's own format: the Go reference implementation (filippo.io/age, tests/go/agetool)
  decrypts what `secret set` wrote, and a file it encrypted is what the build decrypts;
- the value reaches the build directory only inside main.ign (0600), as the root-only file that
  hostform-secrets.service hands to podman; main.bu, main.tf.json, the quadlets and report.txt never
  hold it (in clear, base64 or percent-encoded); main.tf.json reads the user data from main.ign, and
  the real Terraform reads it back byte for byte;
- the services and jobs that use a secret get it from podman (`--secret`, through the real quadlet
  generator) and start after hostform-secrets.service, which passes `systemd-analyze verify`;
- registry credentials become auth.json (0600) with USER:PASSWORD, named to every unit by systemd;
- without an identity, with the wrong one, or with a damaged file, the build fails at the secret's
  file with HF030 and writes nothing; `hostform check` needs no identity and sees the same sizes;
- `rekey` re-encrypts to the recipients listed now; `rm` removes; `list` never shows a value.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from hostform.host.bundle import files_and_units
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator
from tests.require import go_helper, need
from tests.systemd_exec import exec_argv

VALUE = "pa55-w0rd with spaces & 100% \"quotes\""
TOKEN = "ghp_registrytoken123"

HOST = """\
name: shop
podman: "5.8"
recipients: [{recipient}]
services:
  db:
    image: registry.example.org/db:1
    secrets: [{{name: dbpw, env: POSTGRES_PASSWORD}}]
  api:
    image: ghcr.io/me/api:1
    secrets: [{{name: dbpw, target: /run/secrets/db}}]
    depends_on: [db]
jobs:
  dump:
    image: registry.example.org/db:1
    command: [sh, -c, "pg_dump > /backup/db.sql"]
    schedule: daily
    secrets: [{{name: dbpw, env: PGPASSWORD}}]
registries:
  ghcr.io: {{username: me, password: {{secret: ghcr}}}}
target: {{provider: hetzner, region: fsn1, size: cx22, image: "123"}}
"""


def hostform(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """A user's environment: an empty config directory, no key in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def _keygen(cwd: Path, env: dict[str, str], *extra: str) -> str:
    r = hostform("secret", "keygen", *extra, cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    public = r.stdout.strip()
    assert public.startswith("age1") and "AGE-SECRET-KEY" not in r.stdout + r.stderr
    return public


def _project(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    project = tmp_path / "shop"
    project.mkdir()
    public = _keygen(project, env)
    key = Path(env["XDG_CONFIG_HOME"]) / "hostform" / "age.key"
    assert key.stat().st_mode & 0o777 == 0o600
    (project / "hostform.yaml").write_text(HOST.format(recipient=public))
    r = hostform("secret", "set", "dbpw", cwd=project, env=env, stdin=VALUE + "\n")  # one newline dropped
    assert r.returncode == 0 and VALUE not in r.stdout + r.stderr, r.stderr
    r = hostform("secret", "set", "ghcr", cwd=project, env=env, stdin=TOKEN)
    assert r.returncode == 0, r.stderr
    return project, public


def _forms(value: str) -> list[str]:
    """The ways a value can sit in a text file: as it is, base64 (at each alignment), percent-encoded, JSON-escaped."""
    raw = value.encode()
    out = [value, urllib.parse.quote(value), json.dumps(value)[1:-1]]
    for shift in range(3):
        b = base64.b64encode(b"\0" * shift + raw).decode()[4 * ((shift + 2) // 3):-4]
        out.append(b)
    return out


def _ignition_files(project: Path) -> dict[str, tuple[bytes, int]]:
    files, _ = files_and_units(json.loads((project / "build" / "main.ign").read_text()))
    return {f.vm_path: (f.text.encode("utf-8", "surrogateescape"), f.mode) for f in files}


def test_the_value_is_only_in_main_ign_and_reaches_podman(tmp_path: Path, user: dict[str, str]) -> None:
    project, _ = _project(tmp_path, user)
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 0, r.stderr
    out = project / "build"
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        leaked = [f for f in _forms(VALUE) + _forms(TOKEN) if f in text]
        if path.name == "main.ign":
            assert leaked and path.stat().st_mode & 0o777 == 0o600  # base64 in its data URLs
        else:
            assert not leaked, (path, leaked)
    # in the source directory only the encrypted files: nothing in clear
    for path in (project / "secrets").iterdir():
        assert not [f for f in _forms(VALUE) + _forms(TOKEN) if f in path.read_text()]
    report = (out / "report.txt").read_text()
    assert "secrets: dbpw (secrets/dbpw.age), ghcr (secrets/ghcr.age)" in report and "registry ghcr.io: user me" in report

    files = _ignition_files(project)
    assert files["/var/lib/hostform/secrets/dbpw"] == (VALUE.encode(), 0o600)  # stdin's trailing newline dropped
    assert files["/var/lib/hostform/secrets/ghcr"] == (TOKEN.encode(), 0o600)
    auth, mode = files["/var/lib/hostform/registries/auth.json"]
    assert mode == 0o600
    assert base64.b64decode(json.loads(auth)["auths"]["ghcr.io"]["auth"]) == f"me:{TOKEN}".encode()
    dropin = files["/etc/systemd/system.conf.d/10-hostform-registries.conf"][0].decode()
    assert "DefaultEnvironment=REGISTRY_AUTH_FILE=/var/lib/hostform/registries/auth.json" in dropin.splitlines()

    # hostform-secrets.service: each value to podman, then the files are removed
    ign = json.loads((out / "main.ign").read_text())
    unit = next(u for u in ign["systemd"]["units"] if u["name"] == "hostform-secrets.service")
    assert unit["enabled"] is True
    svc = parse_text(unit["contents"], "hostform-secrets.service")
    execs = [exec_argv(x) for x in svc.lookup_all_raw("Service", "ExecStart")]
    assert execs[:2] == [["/usr/bin/podman", "secret", "create", "--replace", n, f"/var/lib/hostform/secrets/{n}"] for n in ("dbpw", "ghcr")]
    assert execs[2] == ["/usr/bin/rm", "-f", "--", "/var/lib/hostform/secrets/dbpw", "/var/lib/hostform/secrets/ghcr"]
    assert svc.lookup_last("Unit", "Before").split() == ["api.service", "db.service", "dump.service"]

    # the real generator: each container gets the secret from podman, and waits for the unit
    quadlets = out / "quadlets"
    code, units, err = run_real(quadlets, binary=real_generator("5.8"), version="5.8")
    assert code == 0, err
    want = {"db.service": "dbpw,type=env,target=POSTGRES_PASSWORD", "api.service": "dbpw,type=mount,target=/run/secrets/db",
            "dump.service": "dbpw,type=env,target=PGPASSWORD"}
    for name, secret in want.items():
        u = parse_text(units[name], name)
        run = next(exec_argv(x) for x in u.lookup_all_raw("Service", "ExecStart") if " run " in x)
        assert [run[i + 1] for i, a in enumerate(run) if a == "--secret"] == [secret], run
        assert "hostform-secrets.service" in u.lookup_all_raw("Unit", "Requires") and "hostform-secrets.service" in u.lookup_all_raw("Unit", "After")
        assert not [a for a in run if VALUE in a]


def test_systemd_accepts_the_secrets_unit(tmp_path: Path, user: dict[str, str]) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        need("systemd-analyze is not installed (Debian's systemd package)")
    project, _ = _project(tmp_path, user)
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    ign = json.loads((project / "build" / "main.ign").read_text())
    d = tmp_path / "verify"
    d.mkdir()
    for name in ("podman", "rm"):  # not installed here: stubs at the paths the unit names
        stub = d / name
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    unit = next(u for u in ign["systemd"]["units"] if u["name"] == "hostform-secrets.service")["contents"]
    (d / "hostform-secrets.service").write_text(unit.replace("/usr/bin/podman", str(d / "podman")).replace("/usr/bin/rm", str(d / "rm")))
    proc = subprocess.run([analyze, "verify", "--man=no", str(d / "hostform-secrets.service")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr


def test_age_files_interoperate_with_the_go_implementation(tmp_path: Path, user: dict[str, str]) -> None:
    agetool = go_helper("agetool")
    project, public = _project(tmp_path, user)
    key = Path(user["XDG_CONFIG_HOME"]) / "hostform" / "age.key"
    # what `secret set` wrote, the reference implementation reads
    got = subprocess.run([agetool, "decrypt", str(key)], input=(project / "secrets" / "dbpw.age").read_bytes(), capture_output=True, timeout=60)
    assert got.returncode == 0 and got.stdout == VALUE.encode(), got.stderr
    # what the reference implementation wrote, the build reads
    other = "from go: \u00e9\n"
    enc = subprocess.run([agetool, "encrypt", public], input=other.encode(), capture_output=True, timeout=60)
    assert enc.returncode == 0, enc.stderr
    (project / "secrets" / "dbpw.age").write_bytes(enc.stdout)
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 0, r.stderr
    assert _ignition_files(project)["/var/lib/hostform/secrets/dbpw"][0] == other.encode()  # byte for byte (no newline dropped)


def test_terraform_reads_the_user_data_from_main_ign(tmp_path: Path, user: dict[str, str], terraform: str) -> None:
    """main.tf.json names main.ign; the real Terraform reads it back as it is (the hcloud provider is not
    needed: the same expression in a terraform_data resource, planned offline)."""
    project, _ = _project(tmp_path, user)
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    out = project / "build"
    tf = json.loads((out / "terraform" / "main.tf.json").read_text())
    user_data = tf["resource"]["hcloud_server"]["host"]["user_data"]
    assert user_data == '${file("${path.module}/../main.ign")}'
    work = out / "probe"
    work.mkdir()
    (work / "main.tf.json").write_text(json.dumps({"resource": {"terraform_data": {"t": {"input": user_data}}}}))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    assert subprocess.run([terraform, "init", "-input=false"], cwd=work, capture_output=True, env=env, timeout=300).returncode == 0
    plan = subprocess.run([terraform, "plan", "-input=false", "-out=p"], cwd=work, capture_output=True, text=True, env=env, timeout=300)
    assert plan.returncode == 0, plan.stderr
    shown = subprocess.run([terraform, "show", "-json", "p"], cwd=work, capture_output=True, text=True, env=env, timeout=300)
    assert json.loads(shown.stdout)["resource_changes"][0]["change"]["after"]["input"] == (out / "main.ign").read_text()


@pytest.fixture
def terraform() -> str:
    found = shutil.which("terraform") or shutil.which("tofu")
    if found is None:
        need("terraform (or tofu) is not installed")
    assert found is not None
    return found


def test_without_the_identity_the_build_fails_at_the_secret_and_check_needs_none(tmp_path: Path, user: dict[str, str]) -> None:
    project, _ = _project(tmp_path, user)
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    ign = (project / "build" / "main.ign").read_bytes()
    key = Path(user["XDG_CONFIG_HOME"]) / "hostform" / "age.key"
    stranger = dict(user, XDG_CONFIG_HOME=str(tmp_path / "nobody"))
    r = hostform("build", ".", cwd=project, env=stranger)
    assert r.returncode == 1 and "secrets/dbpw.age:1:1: error[HF030]: cannot decrypt the secrets: no age identity: give --identity" in r.stderr, r.stderr
    assert "nothing written" in r.stderr and (project / "build" / "main.ign").read_bytes() == ign
    # check: no identity needed, the same findings, the same user-data size (each value's length from its file)
    ok = hostform("check", ".", cwd=project, env=stranger)
    assert ok.returncode == 0, ok.stderr
    assert hostform("check", ".", cwd=project, env=user).stderr == ok.stderr
    # another person's identity: said so, with what to do
    _keygen(project, stranger)
    r = hostform("build", ".", cwd=project, env=stranger)
    assert r.returncode == 1 and "error[HF030]: secret 'dbpw': secrets/dbpw.age none of your identities" in r.stderr and "rekey" in r.stderr, r.stderr
    # the identity named by the environment (CI) and by --identity
    assert hostform("build", ".", cwd=project, env=dict(stranger, HOSTFORM_AGE_KEY=key.read_text())).returncode == 0
    assert hostform("build", ".", cwd=project, env=dict(stranger, HOSTFORM_AGE_KEY_FILE=str(key))).returncode == 0
    assert hostform("build", ".", "--identity", str(key), cwd=project, env=stranger).returncode == 0
    # a damaged file
    (project / "secrets" / "ghcr.age").write_text("not age\n")
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 1 and "secrets/ghcr.age:1:1: error[HF030]: secret 'ghcr': secrets/ghcr.age is not an age-encrypted file" in r.stderr, r.stderr


def test_a_used_secret_without_value_is_refused_where_it_is_used(tmp_path: Path, user: dict[str, str]) -> None:
    project, _ = _project(tmp_path, user)
    r = hostform("secret", "rm", "dbpw", cwd=project, env=user)
    assert r.returncode == 0 and "still used (3 places)" in r.stderr, r.stderr
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 1
    lines = [x for x in r.stderr.splitlines() if "HF013" in x]
    assert [x.split(": ")[0] for x in lines] == ["hostform.yaml:7:22", "hostform.yaml:10:22", "hostform.yaml:17:22"], r.stderr
    assert "`hostform secret set dbpw`" in lines[0]


def test_rekey_list_and_the_value_on_stdin(tmp_path: Path, user: dict[str, str]) -> None:
    project, public = _project(tmp_path, user)
    listed = hostform("secret", "list", cwd=project, env=user)
    assert listed.returncode == 0 and VALUE not in listed.stdout and TOKEN not in listed.stdout
    assert listed.stdout.splitlines() == [
        f"dbpw  {len(VALUE)} bytes; services.api (file /run/secrets/db), services.db (env POSTGRES_PASSWORD), jobs.dump (env PGPASSWORD)",
        f"ghcr  {len(TOKEN)} bytes; registries.ghcr.io (password)",
    ]
    # a second person: listed as a recipient, re-encrypted by the first, then they can build
    other = dict(user, XDG_CONFIG_HOME=str(tmp_path / "other"))
    second = _keygen(project, other)
    text = (project / "hostform.yaml").read_text().replace(f"recipients: [{public}]", f"recipients: [{public}, {second}]")
    (project / "hostform.yaml").write_text(text)
    assert hostform("build", ".", cwd=project, env=other).returncode == 1
    r = hostform("secret", "rekey", cwd=project, env=user)
    assert r.returncode == 0 and r.stdout == "re-encrypted 2 secrets to 2 recipients\n", r.stderr
    assert hostform("build", ".", cwd=project, env=other).returncode == 0
    # --from-file keeps every byte; a name that is not one is refused
    (tmp_path / "v").write_bytes(b"line\n")
    assert hostform("secret", "set", "dbpw", "--from-file", str(tmp_path / "v"), cwd=project, env=user).returncode == 0
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    assert _ignition_files(project)["/var/lib/hostform/secrets/dbpw"][0] == b"line\n"
    bad = hostform("secret", "set", "../x", cwd=project, env=user, stdin="v")
    assert bad.returncode == 1 and "is not a secret name" in bad.stderr and not (tmp_path / "x.age").exists()


def test_set_needs_recipients(tmp_path: Path, user: dict[str, str]) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "hostform.yaml").write_text("name: p\nservices:\n  a: {image: ghcr.io/me/a:1, secrets: [x]}\n")
    r = hostform("secret", "set", "x", cwd=project, env=user, stdin="v")
    assert r.returncode == 1 and "lists no `recipients`" in r.stderr and not (project / "secrets").exists()
    (project / "hostform.yaml").write_text("name: p\nrecipients: [age1nope]\n")
    r = hostform("secret", "set", "x", cwd=project, env=user, stdin="v")
    assert r.returncode == 1 and "hostform.yaml:2:14: error[HF011]: recipients.0: 'age1nope' is not an age recipient" in r.stderr, r.stderr


SITE_AUTH = """\
name: p
recipients: [{recipient}]
services:
  web: {{image: ghcr.io/me/web:1, port: 8080}}
sites:
  web.example.org:
    service: web
    basic_auth:
      admin: {{password: {{secret: admin-pw}}}}
{extra}"""


def test_a_basic_auth_password_from_a_secret_is_hashed_the_same_until_it_is_set_again(tmp_path: Path, user: dict[str, str]) -> None:
    """Caddy itself checks the hash (tests/caddy/test_site_keys_served.py); here: a build is byte-identical to the
    last until `secret set` writes the value again, the hash is not the value, and the wrong forms are refused."""
    import bcrypt

    project = tmp_path / "p"
    project.mkdir()
    public = _keygen(project, user)
    (project / "hostform.yaml").write_text(SITE_AUTH.format(recipient=public, extra=""))
    assert hostform("secret", "set", "admin-pw", cwd=project, env=user, stdin="s3cret\n").returncode == 0
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    first = (project / "build" / "Caddyfile").read_text()
    hashed = next(line.split()[1] for line in first.splitlines() if line.strip().startswith("admin "))
    assert bcrypt.checkpw(b"s3cret", hashed.encode()) and "s3cret" not in first
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    assert (project / "build" / "Caddyfile").read_text() == first
    assert hostform("secret", "set", "admin-pw", cwd=project, env=user, stdin="s3cret\n").returncode == 0  # the same value, a new file
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    again = (project / "build" / "Caddyfile").read_text()
    assert again != first and bcrypt.checkpw(b"s3cret", next(x.split()[1] for x in again.splitlines() if x.strip().startswith("admin ")).encode())
    for extra, code, where in (
        ("      ops: {password: {secret: nope}}\n", "HF013", "hostform.yaml:10:32"),
        ("      ops: {password: {secret: admin-pw}, hash: $2b$04$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG}\n", "HF011", "hostform.yaml:10:12"),
        ("      ops: {}\n", "HF010", "hostform.yaml:10:12"),
    ):
        (project / "hostform.yaml").write_text(SITE_AUTH.format(recipient=public, extra=extra))
        r = hostform("check", ".", cwd=project, env=user)
        assert r.returncode == 1 and f"{where}: error[{code}]" in r.stdout, r.stdout
    (project / "hostform.yaml").write_text(SITE_AUTH.format(recipient=public, extra=""))
    assert hostform("secret", "set", "admin-pw", cwd=project, env=user, stdin="x" * 73).returncode == 0
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 1 and "hostform.yaml:9:34: error[HF011]: basic_auth 'admin': the password in secret 'admin-pw': bcrypt reads at most 72 bytes" in r.stderr, r.stderr


def test_a_basic_auth_password_goes_nowhere_but_its_hash(tmp_path: Path, user: dict[str, str]) -> None:
    """docs/secrets.md: "the build writes its bcrypt hash into the Caddyfile; the password itself goes nowhere":
    not into main.ign either (no podman secret of it on the VM), unless a container uses the same secret."""
    project = tmp_path / "p"
    project.mkdir()
    public = _keygen(project, user)
    (project / "hostform.yaml").write_text(SITE_AUTH.format(recipient=public, extra=""))
    value = "only-hashed-pa55"
    assert hostform("secret", "set", "admin-pw", cwd=project, env=user, stdin=value).returncode == 0
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 0, r.stderr
    for path in sorted(p for p in (project / "build").rglob("*") if p.is_file()):
        assert not [f for f in _forms(value) if f in path.read_text(errors="replace")], path
    assert not [p for p in _ignition_files(project) if p.startswith("/var/lib/hostform/secrets/")]
    ign = json.loads((project / "build" / "main.ign").read_text())
    assert "hostform-secrets.service" not in [u["name"] for u in ign["systemd"]["units"]]
    # a container that uses it gets it, as any secret
    text = SITE_AUTH.format(recipient=public, extra="").replace("port: 8080}", "port: 8080, secrets: [admin-pw]}")
    (project / "hostform.yaml").write_text(text)
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    assert _ignition_files(project)["/var/lib/hostform/secrets/admin-pw"] == (value.encode(), 0o600)


def test_a_plain_basic_auth_password_does_not_make_the_salt(tmp_path: Path) -> None:
    """A plain secret file (`embed: true`) as a basic_auth password: the Caddyfile holds its bcrypt hash and nothing
    faster to guess it with. The salt must not be made of the password (a salt that is a SHA-256 of it would let
    anyone with the Caddyfile test guesses at SHA-256 speed, skipping bcrypt's cost): changing only the password
    leaves the salt as it was."""
    import bcrypt

    project = tmp_path / "p"
    project.mkdir()
    (project / "hostform.yaml").write_text(
        "name: p\nservices:\n  web: {image: ghcr.io/me/web:1, port: 8080}\nsecrets:\n  admin-pw: {file: pw.txt, embed: true}\n"
        "sites:\n  web.example.org:\n    service: web\n    basic_auth:\n      admin: {password: {secret: admin-pw}}\n")
    salts = []
    for value in (b"hunter2", b"correct horse"):
        (project / "pw.txt").write_bytes(value)
        r = hostform("build", ".", cwd=project, env=dict(os.environ))
        assert r.returncode == 0, r.stderr
        hashed = next(x.split()[1] for x in (project / "build" / "Caddyfile").read_text().splitlines() if x.strip().startswith("admin "))
        assert bcrypt.checkpw(value, hashed.encode())
        salts.append(hashed[7:29])
    assert salts[0] == salts[1]


def test_list_says_what_uses_a_basic_auth_secret(tmp_path: Path, user: dict[str, str]) -> None:
    project = tmp_path / "p"
    project.mkdir()
    public = _keygen(project, user)
    (project / "hostform.yaml").write_text(SITE_AUTH.format(recipient=public, extra=""))
    assert hostform("secret", "set", "admin-pw", cwd=project, env=user, stdin="pw").returncode == 0
    listed = hostform("secret", "list", cwd=project, env=user)
    assert listed.returncode == 0 and listed.stdout == "admin-pw  2 bytes; sites.web.example.org (basic_auth admin)\n", listed.stdout


def _run(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """hostform, failing the test (not hanging it) if it does not return within 30 s."""
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=30)


def test_list_and_rekey_read_only_regular_files_of_the_project(tmp_path: Path, user: dict[str, str]) -> None:
    """The project's read rules (hostform._inputs): a FIFO named secrets/x.age must not hang `list` or `rekey`,
    and a file outside the project is not read."""
    project, _ = _project(tmp_path, user)
    os.mkfifo(project / "secrets" / "fifo.age")
    listed = _run(["secret", "list"], project, user)
    assert listed.returncode == 0 and "fifo  NOT read: secrets/fifo.age is a FIFO, not a regular file; unused" in listed.stdout, listed
    before = {p.name: p.read_bytes() for p in (project / "secrets").glob("[!f]*.age")}
    r = _run(["secret", "rekey"], project, user)
    assert r.returncode == 1 and "secrets/fifo.age is a FIFO, not a regular file; nothing rewritten" in r.stderr, r
    (project / "secrets" / "fifo.age").unlink()
    outside = tmp_path / "elsewhere.age"
    outside.write_bytes((project / "secrets" / "dbpw.age").read_bytes())
    (project / "secrets" / "other.age").symlink_to(outside)
    r = _run(["secret", "rekey"], project, user)
    assert r.returncode == 1 and "secrets/other.age is outside the project directory" in r.stderr and "Traceback" not in r.stderr, r
    assert {p.name: p.read_bytes() for p in (project / "secrets").glob("[!o]*.age")} == before


def test_rekey_changes_nothing_when_one_file_cannot_be_rewritten(tmp_path: Path, user: dict[str, str]) -> None:
    """All or nothing: a symlink (which `secret` never writes through) among the files stops rekey before it
    rewrites any."""
    project, _ = _project(tmp_path, user)
    keep = project / "keep"
    keep.mkdir()
    (keep / "x.age").write_bytes((project / "secrets" / "ghcr.age").read_bytes())
    (project / "secrets" / "x.age").symlink_to("../keep/x.age")
    before = {p.name: p.read_bytes() for p in (project / "secrets").iterdir()}
    r = _run(["secret", "rekey"], project, user)
    assert r.returncode == 1 and "secrets/x.age is a symlink" in r.stderr and "nothing rewritten" in r.stderr, r
    assert {p.name: p.read_bytes() for p in (project / "secrets").iterdir()} == before


def test_secret_commands_say_why_they_cannot_write(tmp_path: Path, user: dict[str, str]) -> None:
    """No traceback: a directory where the file goes, a name too long for the file system, an output under a file."""
    project, _ = _project(tmp_path, user)
    (project / "secrets" / "d.age").mkdir()
    for args, stdin in ((["secret", "set", "d"], "v"), (["secret", "rm", "d"], ""), (["secret", "set", "a" * 250], "v"),
                        (["secret", "keygen", "-o", str(project / "hostform.yaml" / "key")], "")):
        r = _run(args, project, user, stdin)
        assert r.returncode == 1 and "Traceback" not in r.stderr and "internal error" not in r.stderr, (args, r.stderr)
        assert r.stderr.startswith(f"hostform secret {args[1]}: "), r.stderr
    assert (project / "secrets" / "d.age").is_dir() and not [p for p in (project / "secrets").iterdir() if p.name.endswith(".tmp")]


def test_a_damaged_file_is_one_finding_line(tmp_path: Path, user: dict[str, str]) -> None:
    """A file with age's header but nothing age can read: one line at the file (rage's own message has a second
    line asking whether the user tried upgrading, which is no advice for a damaged file)."""
    project, _ = _project(tmp_path, user)
    (project / "secrets" / "dbpw.age").write_bytes(b"age-encryption.org/v1\n-> X25519 abc\nxyz\n--- xx\n" + b"A" * 40)
    r = hostform("build", ".", cwd=project, env=user)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[-2:] == ["secrets/dbpw.age:1:1: error[HF030]: secret 'dbpw': secrets/dbpw.age cannot be decrypted: "
                                          "Unknown age format.", "hostform build: failed (1 error); nothing written"], r.stderr


def test_the_local_target_is_replaced_on_a_fingerprint_that_holds_no_hash_of_a_value(tmp_path: Path, user: dict[str, str], terraform: str) -> None:
    """The local target's Terraform keeps `triggers_replace`: not the SHA-256 of main.ign (which would let anyone
    with the state check a guessed value offline), but one of main.ign without the values and of the encrypted
    files; `plan` (from build/main.ign) writes the same, and setting a value again replaces the machine."""
    import hashlib

    project, _ = _project(tmp_path, user)
    text = (project / "hostform.yaml").read_text().replace('target: {provider: hetzner, region: fsn1, size: cx22, image: "123"}', "target: {provider: local}")
    (project / "hostform.yaml").write_text(text)
    assert hostform("build", ".", cwd=project, env=user).returncode == 0
    tf_path = project / "build" / "terraform" / "main.tf.json"

    def trigger() -> str:
        return json.loads(tf_path.read_text())["resource"]["terraform_data"]["host"]["triggers_replace"]

    first = trigger()
    assert first != hashlib.sha256((project / "build" / "main.ign").read_bytes()).hexdigest()
    plan = hostform("plan", "--no-build", "--terraform", terraform, ".", cwd=project, env={**user, "CHECKPOINT_DISABLE": "1"})
    assert plan.returncode == 0, plan.stderr
    assert trigger() == first  # plan, reading build/main.ign, says the same as the build
    assert hostform("build", ".", cwd=project, env=user).returncode == 0 and trigger() == first
    assert hostform("secret", "set", "dbpw", cwd=project, env=user, stdin=VALUE).returncode == 0  # the same value, set again
    assert hostform("build", ".", cwd=project, env=user).returncode == 0 and trigger() != first


# ------------------------------------------------------------------ properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

USERNAMES = st.text(alphabet=[chr(c) for c in range(33, 127) if c != 58], min_size=1, max_size=20)
VALUES = st.binary(min_size=1, max_size=100)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(regs=st.dictionaries(st.sampled_from(["ghcr.io", "registry.example.org:5000", "quay.io/my-org", "r.example"]),
                            st.tuples(USERNAMES, VALUES), min_size=1, max_size=3),
       password=st.binary(min_size=1, max_size=72))
def test_registry_credentials_and_basic_auth_passwords_arrive_byte_for_byte(tmp_path_factory, regs, password) -> None:
    """Whatever user names (the schema's alphabet) and values (any bytes), auth.json holds exactly USER:VALUE per
    registry, and the Caddyfile's hash is bcrypt's of exactly the basic_auth password; no value is anywhere else."""
    import bcrypt

    from hostform import pipeline
    from hostform.host.build import outputs
    from hostform.host.render import to_yaml
    from hostform.secrets import encrypt, generate_identity

    d = tmp_path_factory.mktemp("prop")
    key, public = generate_identity()
    (d / "key").write_text(key)
    (d / "secrets").mkdir()
    registries = {}
    for i, (host, (username, value)) in enumerate(sorted(regs.items())):
        (d / "secrets" / f"reg{i}.age").write_bytes(encrypt(value, [public]))
        registries[host] = {"username": username, "password": {"secret": f"reg{i}"}}
    (d / "secrets" / "pw.age").write_bytes(encrypt(password, [public]))
    data = {"name": "p", "recipients": [public], "registries": registries,
            "services": {"web": {"image": "ghcr.io/me/web:1", "port": 8080}},
            "sites": {"web.example.org": {"service": "web", "basic_auth": {"admin": {"password": {"secret": "pw"}}}}}}
    (d / "hostform.yaml").write_text(to_yaml(data))
    b = pipeline.build(d, pipeline.Options(checks=False, identity=str(d / "key")))
    assert not b.report.errors, b.report.format()
    auth = json.loads(b.file("/var/lib/hostform/registries/auth.json").text.encode("utf-8", "surrogateescape"))
    got = {h: base64.b64decode(v["auth"]) for h, v in auth["auths"].items()}
    assert got == {h: u.encode() + b":" + v.rstrip(b"\r\n") for h, (u, v) in regs.items()}
    caddyfile = next(t for rel, t, _ in outputs(b) if rel == "Caddyfile").decode()
    hashed = next(line.split()[1] for line in caddyfile.splitlines() if line.strip().startswith("admin "))
    assert bcrypt.checkpw(password, hashed.encode())
    # no value anywhere but in main.ign: a short value may occur in a file by chance ("null" in /dev/null), so each
    # file is compared with the same build whose registry values are others of the same lengths (report.txt gives the
    # config's size: a value "2" may be in it by chance): a value occurs no more often
    for i, (_, (_, value)) in enumerate(sorted(regs.items())):
        filler = b"\x01" if set(value) != {1} else b"\x02"
        (d / "secrets" / f"reg{i}.age").write_bytes(encrypt(filler * len(value), [public]))
    rebuilt = pipeline.build(d, pipeline.Options(checks=False, identity=str(d / "key")))
    other = {rel: text for rel, text, _ in outputs(rebuilt)}
    for rel, text, _ in outputs(b):
        if rel != "main.ign":
            for _, (_, v) in regs.items():
                assert text.count(v) <= other.get(rel, b"").count(v), rel
