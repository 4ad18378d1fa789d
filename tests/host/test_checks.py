"""hostform.host.checks: each lint fires on a bundle that has the mistake and not on one without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.diagnostics import CODES
from hostform.host.bundle import Bundle, BundleFile, BundleUnit
from hostform.host.checks import CHECKS, check_bundle, quadlet_scope
from tests.require import no_shared

ROOT = Path(__file__).resolve().parents[2]
TINKERBELL = ROOT.parent / "shared" / "reference" / "tinkerbell"
Q = "/etc/containers/systemd/"

CADDY = """[Container]
ContainerName=caddy
Image=docker.io/library/caddy:2
Network=web.network
PublishPort=80:80
PublishPort=443:443
PublishPort=443:443/udp
Volume=/etc/caddy/Caddyfile:/etc/caddy/Caddyfile:ro
Volume=/var/mnt/state/caddy:/data
"""
APP = """[Container]
ContainerName=app
Image=ghcr.io/example/app:1
Network=web.network
AutoUpdate=registry
Environment=PORT=8080
HealthCmd=curl -f http://localhost:8080/
Notify=healthy

[Service]
Restart=always
"""
NETWORK = "[Network]\n"
CADDYFILE = "example.com {\n\treverse_proxy app:8080 {\n\t\tlb_try_duration 30s\n\t}\n}\n"
STATE_FS = {
    "storage": {
        "filesystems": [{"device": "/dev/disk/by-id/virtio-state", "format": "ext4", "path": "/var/mnt/state"}],
        "directories": [{"path": "/var/mnt/state/caddy"}],
    }
}


def make(files: dict[str, str], units: list[BundleUnit] | None = None, ignition: dict | None = None, version: str = "5.8", size: int = 100) -> Bundle:
    bf = tuple(BundleFile(vm_path=p, text=t, source="files/" + p.rsplit("/", 1)[-1]) for p, t in files.items())
    if units is None:
        units = [BundleUnit(name="podman-auto-update.timer", enabled=True, source="main.bu", line=3)]
    return Bundle(
        dir=Path("."), name="t", kind="butane", files=bf, units=tuple(units), ignition=ignition if ignition is not None else STATE_FS,
        ignition_text="x" * size, podman_version=version,
    )


def good_files(**over: str) -> dict[str, str]:
    files = {Q + "caddy.container": CADDY, Q + "app.container": APP, Q + "web.network": NETWORK, "/etc/caddy/Caddyfile": CADDYFILE}
    for k, v in over.items():
        files[Q + k.replace("_", ".")] = v
    return files


def codes(bundle: Bundle, **kw) -> list[str]:
    return [d.code for d in check_bundle(bundle, **kw)]


def test_good_bundle_is_clean():
    rep = check_bundle(make(good_files()))
    assert [d.format() for d in rep] == []


def test_every_code_has_help_and_checks_are_registered():
    for code in ["HF%03d" % n for n in range(50, 63)]:
        assert code in CODES and len(CODES[code][1]) > 80
    assert len({fn for _, fn in CHECKS}) == len(CHECKS)


# -- the generator and the podman version ----------------------------------------------


def test_unknown_key_is_a_located_error():
    rep = check_bundle(make(good_files(app_container=APP.replace("Notify=healthy", "Notfy=healthy"))))
    (d,) = [d for d in rep if d.code == "HF301"]
    assert (d.file, d.line, d.col, d.severity) == ("files/app.container", 8, 1, "error")


def test_key_newer_than_target_podman():
    files = good_files(app_container=APP + "\n[Container]\nMemory=512m\n")
    d = [d for d in check_bundle(make(files, version="5.4")) if d.code == "HF050"]
    assert len(d) == 1 and "podman >= 5.5" in d[0].message and d[0].line == 14
    assert "HF050" not in codes(make(files, version="5.8"))


def test_unit_type_newer_than_target_podman():
    files = good_files(x_artifact="[Artifact]\nArtifact=quay.io/x/y:1\n")
    assert "HF050" in codes(make(files, version="5.4"))
    assert "HF050" not in codes(make(files, version="5.8"))


def test_inline_quadlet_in_butane_points_into_main_bu(tmp_path):
    (tmp_path / "main.bu").write_text(
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/containers/systemd/a.container\n"
        "      contents:\n        inline: |\n          [Container]\n          Image=docker.io/library/nginx:1\n"
        "          Bogus=1\n"
    )
    rep = check_bundle(pipeline.build(tmp_path, pipeline.Options(checks=False)))
    (d,) = [d for d in rep if d.code == "HF301"]
    assert (d.file, d.line, d.col) == ("main.bu", 10, 11)


# -- the quirks ---------------------------------------------------------------------------


def test_pod_name_in_container():
    bad = APP.replace("Network=web.network", "PodName=web")
    files = good_files(app_container=bad, web_pod="[Pod]\nPodName=web\n")
    rep = check_bundle(make(files))
    assert [d.code for d in rep if d.file == "files/app.container" and d.line == 4] == ["HF051"]  # no HF301 twice
    assert "Pod=web.pod" in [d for d in rep if d.code == "HF051"][0].message
    assert "HF051" not in codes(make(good_files(web_pod="[Pod]\nPodName=web\n")))


def test_quadlet_reload_service():
    unit = BundleUnit(name="quadlet-reload.service", text="[Service]\nType=oneshot\nExecStart=/usr/bin/systemctl daemon-reload\n", enabled=True)
    units = [BundleUnit(name="podman-auto-update.timer", enabled=True), unit]
    assert "HF052" in codes(make(good_files(), units=units))
    assert "HF052" not in codes(make(good_files()))


def test_caddy_data_on_root_disk():
    named = CADDY.replace("/var/mnt/state/caddy:/data", "caddy-data:/data")
    assert "HF053" in codes(make(good_files(caddy_container=named)))
    missing = CADDY.replace("Volume=/var/mnt/state/caddy:/data\n", "")
    assert "HF053" in codes(make(good_files(caddy_container=missing)))
    assert "HF053" in codes(make(good_files(), ignition={}))  # no state filesystem
    assert "HF053" not in codes(make(good_files()))


def test_caddy_data_volume_unit_on_state_disk():
    vol = "[Volume]\nDevice=/var/mnt/state/caddy\nOptions=bind\n"
    caddy = CADDY.replace("/var/mnt/state/caddy:/data", "caddy.volume:/data")
    assert "HF053" not in codes(make(good_files(caddy_container=caddy, caddy_volume=vol)))


def _in_pod(text: str) -> str:
    return text.replace("Network=web.network", "Pod=web.pod")


def test_auto_update_in_pod_restarts_pod():
    files = good_files(caddy_container=_in_pod(CADDY), app_container=_in_pod(APP), web_pod="[Pod]\nPublishPort=80:80\n")
    rep = [d for d in check_bundle(make(files)) if d.code == "HF054"]
    assert len(rep) == 1 and rep[0].file == "files/app.container" and "caddy" in rep[0].message
    assert "HF054" not in codes(make(good_files()))


def test_restart_always_without_readiness():
    bad = APP.replace("Notify=healthy\n", "").replace("HealthCmd=curl -f http://localhost:8080/\n", "")
    rep = [d for d in check_bundle(make(good_files(app_container=bad))) if d.code == "HF055"]
    assert len(rep) == 1 and rep[0].line == 9  # the Restart= line
    assert "HF055" in codes(make(good_files(app_container=APP.replace("HealthCmd=curl -f http://localhost:8080/\n", ""))))
    assert "HF055" not in codes(make(good_files()))


def test_auto_update_needs_fully_qualified_image():
    bad = APP.replace("ghcr.io/example/app:1", "example/app:1")
    assert "HF056" in codes(make(good_files(app_container=bad)))
    assert "HF056" not in codes(make(good_files()))
    label = bad.replace("AutoUpdate=registry", "Label=io.containers.autoupdate=registry")
    assert "HF056" in codes(make(good_files(app_container=label)))


def test_auto_update_timer_not_enabled():
    assert "HF057" in codes(make(good_files(), units=[]))
    assert "HF057" in codes(make(good_files(), units=[BundleUnit(name="podman-auto-update.timer", enabled=False)]))
    assert "HF057" not in codes(make(good_files()))
    no_au = APP.replace("AutoUpdate=registry\n", "")
    assert "HF057" not in codes(make(good_files(app_container=no_au), units=[]))


def test_missing_quadlet_reference():
    files = good_files()
    del files[Q + "web.network"]
    rep = check_bundle(make(files))
    assert sum(d.code == "HF058" for d in rep) == 2 and "HF302" not in [d.code for d in rep]
    assert "HF058" not in codes(make(good_files()))
    vol = good_files(app_container=APP + "\n[Container]\nVolume=data.volume:/data\n")
    assert "HF058" in codes(make(vol))
    assert "HF058" not in codes(make(good_files(app_container=APP + "\n[Container]\nVolume=data.volume:/data\n", data_volume="[Volume]\n")))


def test_bind_source_missing():
    bad = APP + "\n[Container]\nVolume=/srv/app:/data\n"
    assert "HF059" in codes(make(good_files(app_container=bad)))
    ign = dict(STATE_FS, storage=dict(STATE_FS["storage"], directories=[{"path": "/srv/app"}, {"path": "/var/mnt/state/caddy"}]))
    assert "HF059" not in codes(make(good_files(app_container=bad), ignition=ign))
    assert "HF059" not in codes(make(good_files(app_container=APP + "\n[Container]\nVolume=/etc/localtime:/etc/localtime:ro\n")))


def test_port_conflict():
    bad = APP + "\n[Container]\nPublishPort=443:8443\n"
    rep = [d for d in check_bundle(make(good_files(app_container=bad))) if d.code == "HF060"]
    assert len(rep) == 1 and rep[0].severity == "error"
    ok = APP + "\n[Container]\nPublishPort=8443:8443\n"
    assert "HF060" not in codes(make(good_files(app_container=ok)))


def test_site_upstream_unknown():
    files = good_files()
    files["/etc/caddy/Caddyfile"] = "example.com {\n\treverse_proxy api:8080\n}\n"
    rep = [d for d in check_bundle(make(files)) if d.code == "HF061"]
    assert len(rep) == 1 and (rep[0].file, rep[0].line) == ("files/Caddyfile", 2)
    files["/etc/caddy/Caddyfile"] = "example.com {\n\treverse_proxy app:9999\n}\n"
    assert "HF061" in codes(make(files))
    assert "HF061" not in codes(make(good_files()))


def test_user_data_size():
    assert "HF062" in codes(make(good_files(), size=20000), provider="aws")
    assert "HF062" not in codes(make(good_files(), size=20000), provider="hetzner")
    (d,) = [d for d in check_bundle(make(good_files(), size=40000)) if d.code == "HF062"]
    assert d.severity == "warning" and "AWS" in d.message and "Hetzner" in d.message
    assert "HF062" not in codes(make(good_files(), size=1000))


def test_http3_port():
    bad = CADDY.replace("PublishPort=443:443/udp\n", "")
    assert "HF411" in codes(make(good_files(caddy_container=bad)))
    assert "HF411" not in codes(make(good_files()))


def test_scopes():
    assert quadlet_scope("/etc/containers/systemd/a.container") == ("system", "a.container", False)
    assert quadlet_scope("/etc/containers/systemd/users/1000/a.container") == ("user:1000", "a.container", True)
    assert quadlet_scope("/home/core/.config/containers/systemd/x/a.pod") == ("user:/home/core", "x/a.pod", True)
    assert quadlet_scope("/etc/caddy/Caddyfile") is None


# -- the reference deployment ---------------------------------------------------------------


@pytest.mark.skipif(not TINKERBELL.is_dir(), reason=no_shared(TINKERBELL))
def test_tinkerbell_quirks_are_warnings():
    bundle = pipeline.build(TINKERBELL, pipeline.Options(checks=False))
    rep = check_bundle(bundle, provider="vultr")
    quirks = {d.code for d in rep if d.severity == "warning"} & {"HF051", "HF052", "HF053", "HF054", "HF055", "HF411"}
    assert len(quirks) >= 4, rep.format()
    assert not rep.errors, rep.format()
    assert json.dumps([d.code for d in rep])  # plain values


def _generator_view(bundle: Bundle, in_memory: bool) -> list:
    from hostform.host.checks import Context, _run_generator, _vm_text

    ctx = Context(bundle)
    out = []
    for scope, result, paths, tmp in _run_generator(ctx, in_memory=in_memory):
        vm = {p: q.file.vm_path for p, q in paths.items()}
        report = [(d.code, d.severity, vm.get(d.file or "", d.file), d.line, _vm_text(d.message, tmp, paths)) for d in result.report]
        outputs = [(n, _vm_text(t, tmp, paths)) for n, t in result.outputs]
        sources = {n: vm.get(s, s) for n, s in result.sources.items()}
        out.append((scope, report, outputs, sources, dict(result.symlinks), result.exit_code))
    return out


@pytest.mark.parametrize(
    "files",
    [
        good_files(),
        good_files(app_container=APP + "Bogus=1\n"),  # an unknown key
        good_files(app_container=APP.replace("Network=web.network", "Network=missing.network")),
        good_files(extra_artifact="[Artifact]\nArtifact=quay.io/x/y:1\n"),  # newer than the target
        good_files(app_container=APP.replace("Image=ghcr.io/example/app:1", "Image=app")),  # short name
    ],
)
def test_in_memory_generator_matches_the_files_on_disk(files):
    from hostform.host.checks import Context, _generate_in_memory

    b = make(files, version="5.4")
    ctx = Context(b)
    assert _generate_in_memory(ctx, ctx.quadlets, False) is not None  # the fast path is the one compared
    assert _generator_view(b, True) == _generator_view(b, False)


def test_in_memory_generator_matches_on_the_reference_and_example():
    from hostform import pipeline

    for d in (TINKERBELL, ROOT / "examples" / "tinkerbell"):
        b = pipeline.build(d, pipeline.Options(checks=False))
        assert _generator_view(b, True) == _generator_view(b, False), d


def _big_aws_host(tmp_path, url: str = "") -> list:
    import base64
    import random

    from hostform import pipeline

    blob = base64.b64encode(random.Random(0).randbytes(20000)).decode()  # incompressible
    text = (
        "name: big\nservices:\n  web:\n    image: ghcr.io/example/web:1\n    port: 8080\n"
        f"    env: {{BIG: {blob}}}\nsites:\n  example.org: web\n"
        "target:\n  provider: aws\n  region: eu-west-3\n  size: t3.micro\n" + (f"  user_data_url: {url}\n" if url else "")
    )
    (tmp_path / "hostform.yaml").write_text(text)
    return [d for d in pipeline.build(tmp_path, pipeline.Options(caddy="off")).report if d.code in ("HF062", "HF502", "HF503")]


def test_user_data_size_of_a_host_with_a_target(tmp_path):
    """Said once, by the Terraform renderer that fits the config to the target, on the `target:` line:
    with user_data_url the VM gets a pointer config (HF503); without it, an error (HF502)."""
    (d,) = _big_aws_host(tmp_path, "https://example.org/big.ign")
    assert (d.code, d.severity, d.file, d.line, d.col) == ("HF503", "info", "hostform.yaml", 9, 1)
    assert "https://example.org/big.ign" in d.message
    (d,) = _big_aws_host(tmp_path)
    assert (d.code, d.severity, d.file, d.line, d.col) == ("HF502", "error", "hostform.yaml", 9, 1)
