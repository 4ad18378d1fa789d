"""A real application on a booted machine: a database with a password kept as a hostform secret,
an API that needs it, images from a registry that wants a password (issue 13).

The project is made as a user makes it: a fresh age identity (`hostform secret keygen`), its public
key under `recipients:`, the values set with `hostform secret set`, then `hostform build`. On it:
- db: Valkey, built from Debian trixie's packages (valkey-server, valkey-tools and the two
  libraries trixie's root filesystem lacks; the rest from that root filesystem), started with
  `--requirepass` from the secret given as an environment variable; its health check is
  `valkey-cli ping` with the password;
- api: starts only if it can PING db with the password (the secret as a file), then serves
  `shop.test` (through Caddy over HTTPS, internal CA); `www.shop.test` redirects to it (301);
- count: a job every 10 s that writes `DBSIZE` (read with the password) into its volume;
- every image, Caddy's included, comes from Debian's docker-registry with htpasswd authentication:
  the credentials are a hostform secret under `registries:`.
Checked: the first pulls work, api starts after db is healthy and at its first try, the redirect,
the job's runs, a push under the same tag taken by `podman auto-update`; no value under /etc, in
/var/lib/hostform/secrets or in `podman inspect`, and in the build directory only in main.ign
(0600). Without the `registries` entry the first pull is refused (401) and nothing starts.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import Runner, wait_until
from hostform.caddy.check import find_caddy
from hostform.tryout import commands as C
from hostform.tryout.harness import Cache, Machine, Registry, free_port, https_get, status_and_body
from tests.e2e._site import CADDY_REMAP, PODMANS
from tests.e2e.conftest import HOSTFORM
from tests.require import need

pytestmark = pytest.mark.e2e

USER = "deploy"
LIBDIR = "usr/lib/x86_64-linux-gnu"
# Debian trixie's Valkey, and what it links that trixie's root filesystem (the harness's) does not have
VALKEY_DEBS = ("valkey-server", "valkey-tools", "liblzf1", "libjemalloc2")

HOST = """\
name: shophost
podman: "{podman}"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  db:
    image: {registry}/valkey:8
    command: [sh, -c, 'exec valkey-server --requirepass "$DB_PASSWORD" --save "" --appendonly no']
    secrets: [{{name: dbpw, env: DB_PASSWORD}}]
    health:
      cmd: [sh, -c, 'valkey-cli --no-auth-warning -a "$DB_PASSWORD" ping | grep -qx PONG']
      interval: 2s
      start_period: 1s
  api:
    image: {registry}/api:latest
    port: 8080
    secrets: [dbpw]
    depends_on: [db]
    health: {{cmd: [wget, -q, -O, /dev/null, "http://127.0.0.1:8080/"], interval: 2s, start_period: 1s}}
jobs:
  count:
    image: {registry}/valkey:8
    command: [sh, -c, 'valkey-cli -h db --no-auth-warning -a "$DB_PASSWORD" dbsize >> /out/dbsize']
    schedule: "*:*:0/10"
    secrets: [{{name: dbpw, env: DB_PASSWORD}}]
    volumes: {{counts: /out}}
{registries}sites:
  shop.test: {{service: api, redirect_from: [www.shop.test]}}
tls: {{email: me@example.org, ca: internal}}
"""
REGISTRIES = 'registries:\n  "{registry}": {{username: ' + USER + ", password: {{secret: regtoken}}}}\n"

# api: refuses to start unless db answers PING with the password (the secret's file), counts its
# starts in the database, then serves a page; a shell in front stops httpd at once on SIGTERM
API_CMD = """\
pw=$(cat /run/secrets/dbpw)
v() { valkey-cli -h db --no-auth-warning -a "$pw" "$@"; }
if [ "$(v ping)" != PONG ]; then echo "api: db does not answer PING with the password" >&2; exit 1; fi
v incr starts >/dev/null
mkdir -p /www
echo "api MARKER: db says $(v ping)" > /www/index.html
httpd -f -p 8080 -h /www & trap "kill $!; exit 0" TERM; wait
"""


def valkey_layer(cache: Cache, runner: Runner) -> oci.Layer:
    """valkey-server, valkey-cli and every library they load, at the paths Debian puts them: the
    packages' own files, the libraries resolved by trixie's loader (``ld.so --list``) as in the image."""
    trees = [cache.deb(p) for p in VALKEY_DEBS]
    rootfs = cache.ensure_rootfs()
    loader = rootfs / "usr/lib64/ld-linux-x86-64.so.2"
    libpath = ":".join(str(t / LIBDIR) for t in (rootfs, *trees[2:]))
    bins = trees[1] / "usr/bin"
    entries = [
        oci.Entry.file("usr/bin/valkey-check-rdb", (bins / "valkey-check-rdb").read_bytes(), 0o755),
        oci.Entry.symlink("usr/bin/valkey-server", "valkey-check-rdb"),  # as valkey-server's package has it
        oci.Entry.file("usr/bin/valkey-cli", (bins / "valkey-cli").read_bytes(), 0o755),
        oci.Entry.file("usr/lib64/ld-linux-x86-64.so.2", loader.resolve().read_bytes(), 0o755),
        oci.Entry.symlink("lib64", "usr/lib64"),
        oci.Entry.symlink("bin/grep", "busybox"),
    ]
    libs: dict[str, Path] = {}
    for binary in ("valkey-check-rdb", "valkey-cli"):
        listed = runner.run([str(loader), "--library-path", libpath, "--list", str(bins / binary)]).stdout
        for line in listed.splitlines():
            name, arrow, rest = line.strip().partition(" => ")
            if arrow and not name.startswith("/"):
                libs[name] = Path(rest.rsplit(" (", 1)[0])
    assert {"libc.so.6", "liblzf.so.1", "libjemalloc.so.2", "libssl.so.3"} <= set(libs), libs
    entries += [oci.Entry.file(f"{LIBDIR}/{name}", path.resolve().read_bytes(), 0o755) for name, path in sorted(libs.items())]
    return oci.layer_from_entries(entries)


def api_image(base: oci.Layer, valkey: oci.Layer, marker: str) -> oci.Image:
    script = oci.layer_from_entries([oci.Entry.file("api.sh", API_CMD.replace("MARKER", marker), 0o755)])
    return oci.Image([base, valkey, script], cmd=["/bin/sh", "/api.sh"], labels={"marker": marker})


def hostform(*args: str, env: dict[str, str], stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd)


def project(tmp: Path, podman: str, password: str, token: str, *, with_registries: bool = True) -> tuple[Path, Path]:
    """A fresh identity, the host file naming it, the two values set with `hostform secret set`,
    then `hostform build`: (the project directory, the build directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    d = tmp / "shop"
    d.mkdir(parents=True)
    r = hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    registry = C.registry_name_in_guest()
    regs = REGISTRIES.format(registry=registry) if with_registries else ""
    (d / "hostform.yaml").write_text(HOST.format(podman=podman, recipient=r.stdout.strip(), registry=registry, registries=regs))
    for name, value in (("dbpw", password), ("regtoken", token)):
        r = hostform("secret", "set", name, str(d), env=env, stdin=value)
        assert r.returncode == 0 and value not in r.stdout + r.stderr, r.stderr
    out = tmp / "build"
    r = hostform("build", str(d), "-o", str(out), env=env)
    assert r.returncode == 0 and "error" not in r.stdout + r.stderr, r.stdout + r.stderr
    return d, out


@pytest.fixture
def auth_registry(runner, tmp_path: Path):
    """Debian's docker-registry asking for USER and a random token (bcrypt, as `caddy hash-password` makes it)."""
    caddy = find_caddy()
    if caddy is None:
        need("no Caddy binary (caddy hash-password makes the registry's bcrypt entry)")
    token = "tok-" + secrets.token_hex(12)
    hashed = subprocess.run([str(caddy), "hash-password", "--algorithm", "bcrypt", "--bcrypt-cost", "4", "--plaintext", token],
                            capture_output=True, text=True, check=True).stdout.strip()
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"{USER}:{hashed}\n")
    reg = Registry(tmp_path / "registry", runner, htpasswd=htpasswd).start()
    try:
        yield reg, token
    finally:
        reg.stop()


def boot(runner, cache, registry: Registry, machines, ign: Path, work: Path, state: Path, variant: str) -> Machine:
    m = Machine(ign, work, cache, runner, registry_port=registry.port, state_dir=state, remaps=CADDY_REMAP)
    m.variant = variant
    machines.append(m)
    m.provision()
    m.boot()
    return m


def journal(m: Machine, *args: str) -> str:
    return m.exec(["journalctl", "-b", "--no-pager", *args], check=False).stdout


def prop(m: Machine, unit: str, name: str) -> str:
    return m.exec(["systemctl", "show", "-P", name, unit]).stdout.strip()


def get(port: int, host: str, cafile: Path, path: str = "/") -> tuple[int, str, str]:
    """(status, the Location header, body) of an HTTPS request through Caddy, the chain verified for ``host``."""
    text = https_get(port, host, cafile, path)[1]
    status, body = status_and_body(text)
    head = text.partition("\r\n\r\n")[0].split("\r\n")[1:]
    location = next((line.split(":", 1)[1].strip() for line in head if line.lower().startswith("location:")), "")
    return status, location, body


def _forms(value: str) -> list[str]:
    """The value, and base64 of it at each alignment (as in data URLs and auth.json)."""
    raw = value.encode()
    return [value] + [base64.b64encode(b"\0" * s + raw).decode()[4 * ((s + 2) // 3):-4] for s in range(3)]


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_a_real_app_with_secrets_and_a_private_registry(
    runner, cache, busybox, caddy_image, auth_registry, machines, tmp_path: Path, variant: str, podman: str
) -> None:
    t0 = time.monotonic()
    registry, token = auth_registry
    auth = (USER, token)
    password = "db-" + secrets.token_hex(12)
    base = oci.busybox_image(busybox).layers[0]
    valkey = valkey_layer(cache, runner)
    oci.push(oci.Image([base, valkey], cmd=["valkey-server"]), registry.address, "valkey", "8", auth=auth)
    oci.push(api_image(base, valkey, "v1"), registry.address, "api", auth=auth)
    oci.push(caddy_image, registry.address, "caddy", "2", auth=auth)
    with pytest.raises(oci.RegistryError, match="HTTP 401"):  # the registry does ask
        oci.push(caddy_image, registry.address, "caddy", "2")
    _, out = project(tmp_path, podman, password, token)

    # the build directory: the values only in main.ign (0600)
    for p in sorted(x for x in out.rglob("*") if x.is_file()):
        found = [f for f in _forms(password) + _forms(token) + _forms(f"{USER}:{token}") if f in p.read_text(errors="replace")]
        if p.name == "main.ign":
            assert found and p.stat().st_mode & 0o777 == 0o600, p
        else:
            assert not found, (p, found)

    state = tmp_path / "state"
    m = boot(runner, cache, registry, machines, out / "main.ign", tmp_path / "m", state, variant)
    for unit in ("db.service", "api.service", "caddy.service"):
        assert m.wait_active(unit, 240), f"{unit}: {m.is_active(unit)}\n" + journal(m, "-n", "120")
    booted = time.monotonic()

    # api started once db was started, which it is only once healthy; and at its first try
    db_up = int(prop(m, "db.service", "ActiveEnterTimestampMonotonic"))
    api_start = int(prop(m, "api.service", "ExecMainStartTimestampMonotonic"))
    assert 0 < db_up <= api_start, (db_up, api_start)
    assert prop(m, "api.service", "NRestarts") == "0", journal(m, "-u", "api.service")
    # the password is the server's: without it, no answer
    cli = ["podman", "exec", "db", "valkey-cli", "--no-auth-warning"]
    assert m.exec([*cli, "ping"], check=False).stdout.strip().startswith("NOAUTH")
    assert m.exec([*cli, "-a", password, "get", "starts"]).stdout.strip() == "1"

    # the site over HTTPS through Caddy, and its www name redirecting to it
    port = free_port()
    m.publish(port, 443)
    cafile = m.caddy_root(tmp_path / "root.crt")
    assert wait_until(lambda: get(port, "shop.test", cafile)[::2] == (200, "api v1: db says PONG\n"), 60, 0.5), get(port, "shop.test", cafile)
    status, location, _ = get(port, "www.shop.test", cafile, "/cart?item=3")
    assert (status, location) == (301, "https://shop.test/cart?item=3")

    # the job: on its timer, with the password, into its volume
    counts = state / "volumes" / "counts" / "dbsize"
    assert wait_until(lambda: counts.is_file() and counts.read_text().split()[-2:] == ["1", "1"], 60, 1), \
        (counts.read_text() if counts.is_file() else None, journal(m, "-u", "count.service"))
    # DBSIZE, each an answer to the password (without it valkey-cli writes NOAUTH): 0 while a run came before
    # api's first start (the job needs only db), then 1, api's counter
    got = counts.read_text().split()
    assert set(got) <= {"0", "1"} and got == sorted(got), got

    # no value left in clear on the machine: /etc, the files Ignition wrote, podman inspect
    for value in (password, token, base64.b64encode(f"{USER}:{token}".encode()).decode()):
        grep = m.exec(["grep", "-rlF", "--", value, "/etc"], check=False)
        assert grep.returncode == 1 and not grep.stdout, grep.stdout
    left = m.exec(["sh", "-c", "ls -A /var/lib/hostform/secrets 2>/dev/null; true"]).stdout
    assert not left.strip(), left
    names = m.exec(["podman", "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
    assert {"db", "api", "caddy"} <= set(names)
    for name in names:
        inspected = m.exec(["podman", "inspect", name]).stdout
        assert password not in inspected and token not in inspected, name
    assert m.is_active("hostform-secrets.service") == "active"

    # an image pushed under the same tag: podman auto-update pulls it with the credentials
    v2 = api_image(base, valkey, "v2")
    oci.push(v2, registry.address, "api", auth=auth)
    res = m.exec(["systemctl", "start", "podman-auto-update.service"], check=False, timeout=300)
    assert res.ok, journal(m, "-u", "podman-auto-update.service")
    assert m.exec(["podman", "inspect", "api", "--format", "{{.Image}}"]).stdout.strip() == oci.digest(v2.config_bytes()).removeprefix("sha256:")
    assert wait_until(lambda: get(port, "shop.test", cafile)[::2] == (200, "api v2: db says PONG\n"), 60, 0.5), get(port, "shop.test", cafile)
    print(f"\nreal app ({podman}): boot {m.timings}; up and checked {booted - t0:.0f}s; whole test {time.monotonic() - t0:.0f}s")


def test_without_the_registry_credentials_the_first_pull_is_refused(
    runner, cache, busybox, caddy_image, auth_registry, machines, tmp_path: Path
) -> None:
    """The mutation check of the test above: the same host without `registries`."""
    registry, token = auth_registry
    auth = (USER, token)
    base = oci.busybox_image(busybox).layers[0]
    valkey = valkey_layer(cache, runner)
    oci.push(oci.Image([base, valkey], cmd=["valkey-server"]), registry.address, "valkey", "8", auth=auth)
    oci.push(api_image(base, valkey, "v1"), registry.address, "api", auth=auth)
    oci.push(caddy_image, registry.address, "caddy", "2", auth=auth)
    _, out = project(tmp_path, "5.8", "db-" + secrets.token_hex(12), token, with_registries=False)
    m = boot(runner, cache, registry, machines, out / "main.ign", tmp_path / "m", tmp_path / "state", "podman-sid")

    # what containers/image says of the registry's 401
    refused = f"reading manifest 8 in {C.registry_name_in_guest()}/valkey: authentication required"
    assert wait_until(lambda: refused in journal(m, "-u", "db.service"), 120, 1), journal(m, "-u", "db.service")
    assert m.is_active("db.service") != "active" and m.is_active("api.service") != "active"
    assert not m.exec(["podman", "images", "-q"]).stdout.strip()  # nothing was pulled
