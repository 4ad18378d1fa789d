"""The status endpoints' VM side, as the VM runs it: the script and its configuration taken from the main.ign
`hostform build` wrote, run by bash with one request on stdin (as systemd's Accept=yes socket gives it),
against stand-ins of podman, skopeo, journalctl, systemctl and openssl that record their argv."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hostform.host.bundle import files_and_units
from hostform.status import vm
from tests.caddy.conftest import caddy_bin  # noqa: F401 - the fixture, shared

TOKEN = "s3cret-t0ken"
HOST = {
    "name": "h",
    "services": {"web": {"image": "registry.test/web:1", "port": 8080}, "db": {"image": "registry.test/db:17"}},
    "jobs": {"backup": {"image": "registry.test/backup:1", "schedule": "daily"}},
    "sites": {"site.test": "web", "b.test": "web"},
    "tls": {"ca": "internal"},
    "status": {"token": {"secret": "status-token"}, "site": "site.test"},
}

# A stand-in: records its argv (one line, the arguments separated by US) and prints $STUB_OUT/NAME.ARG1 (else NAME).
STUB = r"""#!/usr/bin/bash
name=${0##*/}
{ printf '%s' "$name"; printf '\x1f%s' "$@"; printf '\n'; } >>"$STUB_LOG"
for f in "$STUB_OUT/$name.${1:-}" "$STUB_OUT/$name"; do
	if [ -f "$f" ]; then cat "$f"; exit "$(cat "$f.rc" 2>/dev/null || echo 0)"; fi
done
exit 0
"""
STUBBED = ("podman", "skopeo", "journalctl", "systemctl", "openssl")


def build_host(tmp: Path, data: dict | None = None, secrets: dict[str, str] | None = None) -> Path:
    """Build ``data`` (default HOST) as `hostform build` does, the token (and ``secrets``) set with `hostform secret set`;
    the build dir."""
    from hostform import pipeline
    from hostform.host.build import outputs
    from hostform.host.render import to_yaml
    from hostform.secrets import encrypt, generate_identity

    d = tmp / "host"
    d.mkdir(parents=True, exist_ok=True)
    key, public = generate_identity()
    (tmp / "age.key").write_text(key)
    (d / "secrets").mkdir(exist_ok=True)
    for name, value in {"status-token": TOKEN, **(secrets or {})}.items():
        (d / "secrets" / f"{name}.age").write_bytes(encrypt(value.encode(), [public]))
    (d / "hostform.yaml").write_text(to_yaml({**(data or HOST), "recipients": [public]}), encoding="utf-8")
    b = pipeline.build(d, pipeline.Options(caddy="off", identity=str(tmp / "age.key")))
    assert not b.report.errors, b.report.format()
    out = d / "build"
    out.mkdir(exist_ok=True)
    for rel, raw, _ in outputs(b):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(raw)
    return out


@dataclass
class Vm:
    """The script and config of main.ign, the stand-ins, and a state dir."""

    tmp: Path
    script: Path
    config: Path
    units: dict[str, str]

    @property
    def log(self) -> Path:
        return self.tmp / "calls"

    def out(self, name: str, text: str, rc: int = 0) -> None:
        (self.tmp / "out" / name).write_text(text)
        (self.tmp / "out" / f"{name}.rc").write_text(str(rc))

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [ln.split("\x1f") for ln in self.log.read_text().splitlines()]

    def request(self, mode: str, raw: bytes, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        env = {"PATH": f"{self.tmp / 'bin'}:/usr/bin:/bin", "STUB_LOG": str(self.log), "STUB_OUT": str(self.tmp / "out"),
               "HOSTFORM_API_CONFIG": str(self.config), "HOME": str(self.tmp)}
        p = subprocess.run(["bash", str(self.script), mode], input=raw, capture_output=True, env=env, timeout=timeout)
        assert p.returncode == 0, p.stderr
        return parse_response(p.stdout)

    def get(self, mode: str, query: str = "", method: str = "GET", timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        target = f"/.hostform/{mode}" + (f"?{query}" if query else "")
        return self.request(mode, f"{method} {target} HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n".encode(), timeout)


def parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response, checked: a status line, headers, and a body of exactly Content-Length bytes."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, raw[:200]
    lines = head.decode("ascii").split("\r\n")
    version, status, _ = lines[0].split(" ", 2)
    assert version == "HTTP/1.1"
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    assert int(fields["content-length"]) == len(body), (fields, body[:200])
    return int(status), fields, body


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_host(tmp_path_factory.mktemp("status-build"))


@pytest.fixture
def machine(built: Path, tmp_path: Path) -> Vm:
    return make_vm(built, tmp_path)


def make_vm(built: Path, tmp_path: Path) -> Vm:
    """The script and configuration of ``built``'s main.ign in ``tmp_path``, with stand-ins of the commands."""
    files, units = files_and_units(json.loads((built / "main.ign").read_text()))
    by_path = {f.vm_path: f.text for f in files}
    script, config = tmp_path / "api", tmp_path / "api.json"
    script.write_text(by_path[vm.SCRIPT_PATH])
    cfg = json.loads(by_path[vm.CONFIG_PATH])
    # the test's own state dir stands for the state disk (df reads it for real)
    (tmp_path / "state").mkdir()
    cfg["disks"] = [str(tmp_path / "state")]
    cfg["caddy_data"] = str(tmp_path / "state" / "caddy" / "data")
    config.write_text(json.dumps(cfg))
    (tmp_path / "bin").mkdir()
    (tmp_path / "out").mkdir()
    for name in STUBBED:
        (tmp_path / "bin" / name).write_text(STUB)
        os.chmod(tmp_path / "bin" / name, 0o755)
    return Vm(tmp_path, script, config, {u.name: u.text or "" for u in units})


def analyze_verify(units: dict[str, str], sockets: list[str], tmp_path: Path) -> None:
    """``systemd-analyze verify`` of ``sockets`` (names in ``units``) and an instance of each one's service
    template, as systemd makes one per connection; the script they run stands in as an empty one."""
    import shutil

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    d = tmp_path / "verify"
    d.mkdir()
    script = d / "api"
    script.write_text("#!/usr/bin/bash\n")
    args = []
    for sock in sockets:
        template = sock.removesuffix(".socket") + "@.service"
        for name in (sock, template):
            (d / name).write_text(units[name].replace(vm.SCRIPT_PATH, str(script)))
        instance = d / template.replace("@.", "@1.")
        instance.symlink_to(d / template)
        args += [str(d / sock), str(instance)]
    proc = subprocess.run([analyze, "verify", "--man=no", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
