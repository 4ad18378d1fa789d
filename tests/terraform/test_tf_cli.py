"""`hostform plan | apply | destroy` from a host file: the build, the target, and what is missing, in words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hostform.cli.main import main as hostform
from hostform.terraform.driver import explain_init_failure, missing_credentials

ROOT = Path(__file__).resolve().parents[2]

HOST = """\
name: web
services:
  app:
    image: ghcr.io/example/app:1
    port: 8080
    health: {http: /}
sites:
  web.example.org: app
tls: {ca: internal}
"""


def test_plan_without_the_provider_plugin_says_what_is_missing(tmp_path, terraform, tf_env, capsys, monkeypatch):
    """examples/tinkerbell (vultr), offline, no token: one clear message, exit 1, no traceback."""
    monkeypatch.delenv("VULTR_API_KEY", raising=False)
    proj = tmp_path / "tinkerbell"
    shutil.copytree(ROOT / "examples" / "tinkerbell", proj)
    assert hostform(["plan", "--terraform", terraform, str(proj)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "terraform init needs the vultr/vultr provider plugin" in err
    assert "VULTR_API_KEY" in err
    tf = json.loads((proj / "build" / "terraform" / "main.tf.json").read_text())
    assert tf["resource"]["vultr_block_storage"]["state"]["size_gb"] == 10  # state.size


def test_local_host_file_plan_apply_destroy(tmp_path, terraform, tf_env, recorder, capsys):
    """A host file with `target: {provider: local}`: build, plan, apply, a change replaces, destroy; all offline."""
    script, log = recorder
    proj = tmp_path / "web"
    proj.mkdir()
    target = f'target:\n  provider: local\n  local:\n    up: "{script} up {{dir}} {{name}}"\n    down: "{script} down {{name}}"\n'
    (proj / "hostform.yaml").write_text(HOST + target)
    common = ["--terraform", terraform, str(proj)]

    assert hostform(["plan", *common]) == 0
    assert capsys.readouterr().out == "this change creates the local VM.\n"
    assert (proj / "build" / "main.ign").is_file() and not log.exists()

    assert hostform(["apply", "--yes", *common]) == 0
    assert capsys.readouterr().out.startswith("this change creates the local VM.")
    assert log.read_text() == f"up {proj} web\n"

    assert hostform(["plan", *common]) == 0
    assert capsys.readouterr().out == "no changes: what runs matches the build.\n"

    (proj / "hostform.yaml").write_text(HOST.replace("app:1", "app:2") + target)
    assert hostform(["apply", "--yes", *common]) == 0
    assert capsys.readouterr().out.startswith("this change replaces the local VM (the Ignition changed).")
    assert log.read_text() == f"up {proj} web\ndown web\nup {proj} web\n"

    assert hostform(["destroy", "--yes", *common]) == 0
    assert capsys.readouterr().out.startswith("this change destroys the local VM.")
    assert log.read_text().splitlines()[-1] == "down web"


def test_host_file_without_target(tmp_path, terraform, capsys):
    (tmp_path / "hostform.yaml").write_text(HOST)
    assert hostform(["plan", "--terraform", terraform, str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "error[HF500]" in err and "no `target:` section" in err


def test_target_errors_are_located(tmp_path, terraform, capsys, monkeypatch):
    """At the line of the host file, shown as the user named the project (with or without --no-build)."""
    proj = tmp_path / "web"
    proj.mkdir()
    (proj / "hostform.yaml").write_text(HOST + "target:\n  provider: hetzner\n  region: fsn1\n  size: cx22\n")
    monkeypatch.chdir(tmp_path)
    assert hostform(["plan", "--terraform", terraform, "web"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("web/hostform.yaml:11:3: error[HF500]: hetzner has no Fedora CoreOS image"), err
    (proj / "build").mkdir()
    (proj / "build" / "main.ign").write_text('{"ignition": {"version": "3.4.0"}}\n')
    monkeypatch.chdir(proj)
    assert hostform(["plan", "--no-build", "--terraform", terraform]) == 1
    assert capsys.readouterr().err.startswith("hostform.yaml:11:3: error[HF500]: hetzner has no Fedora CoreOS image")


def test_no_target_is_one_finding_with_or_without_build(tmp_path, terraform, capsys, monkeypatch):
    """The same HF500, at line 1 of the host file or main.bu, whether plan builds or reads build/main.ign."""
    monkeypatch.chdir(tmp_path)
    for proj, file, text, what in [
        ("web", "hostform.yaml", HOST, "no `target:` section (where the host runs: provider, region, size...); see docs/host-file.md"),
        ("plain", "main.bu", "variant: fcos\nversion: 1.5.0\n", "no target.json beside main.bu (where the host runs: provider, region, size...: the host file's `target:` in JSON)"),
    ]:
        (tmp_path / proj / "build").mkdir(parents=True)
        (tmp_path / proj / file).write_text(text)
        (tmp_path / proj / "build" / "main.ign").write_text('{"ignition": {"version": "3.4.0"}}\n')
        line = f"{proj}/{file}:1:1: error[HF500]: {what}\n"
        for no_build in ([], ["--no-build"]):
            assert hostform(["plan", *no_build, "--terraform", terraform, proj]) == 1
            err = capsys.readouterr().err
            assert err.endswith(line) and err.count("HF500") == 1, (no_build, err)


def test_no_build_says_which_main_ign_is_missing_or_unreadable(tmp_path, terraform, capsys, monkeypatch):
    """build/main.ign as the user named the project; one that is not UTF-8 is refused, not a traceback."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "hostform.yaml").write_text(HOST + "target: {provider: local}\n")
    monkeypatch.chdir(tmp_path)
    assert hostform(["plan", "--no-build", "--terraform", terraform, "web"]) == 1
    assert capsys.readouterr().err == "hostform plan: web/build/main.ign does not exist: run `hostform build` first\n"
    (tmp_path / "web" / "build").mkdir()
    (tmp_path / "web" / "build" / "main.ign").write_bytes(b'{"ignition": {"version": "3.4.0"}, "x": "\xff"}')
    assert hostform(["apply", "--no-build", "--terraform", terraform, "web"]) == 1
    assert capsys.readouterr().err == "hostform apply: web/build/main.ign is not UTF-8 text (byte 41)\n"


@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
def test_a_file_is_not_a_directory(command, tmp_path, capsys, monkeypatch):
    """A usage error (exit 2) worded as build and check word it, with or without --no-build."""
    (tmp_path / "afile").write_text(HOST)
    monkeypatch.chdir(tmp_path)
    assert hostform(["build", "afile"]) == 2
    assert capsys.readouterr().err == "hostform build: afile: not a directory\n"
    for no_build in ([], ["--no-build"]):
        assert hostform([command, *no_build, "afile"]) == 2
        assert capsys.readouterr().err == f"hostform {command}: afile: not a directory\n"


def _incompressible(n: int) -> str:
    import base64
    import random

    return base64.b64encode(random.Random(7).randbytes(n)).decode()


def test_no_build_fits_build_main_ign_not_the_projects_ignition(tmp_path, terraform, tf_env, capsys, monkeypatch):
    """--no-build fits the user data of build/main.ign (HF503 on the `target:` line, where the build's
    HF062 is); what the project's own Ignition would need is not said."""
    monkeypatch.delenv("HCLOUD_TOKEN", raising=False)  # terraform stops after init
    proj = tmp_path / "big"
    (proj / "build").mkdir(parents=True)
    target = "target:\n  provider: hetzner\n  region: fsn1\n  size: cx22\n  image: '123456'\n  user_data_url: https://example.org/big.ign\n"
    (proj / "hostform.yaml").write_text(HOST + target)
    (proj / "build" / "main.ign").write_text(json.dumps({"ignition": {"version": "3.4.0"}, "x": _incompressible(40000)}) + "\n")
    monkeypatch.chdir(tmp_path)
    assert hostform(["plan", "--no-build", "--terraform", terraform, "big"]) == 1  # offline, or no token
    err = capsys.readouterr().err
    assert err.startswith("big/hostform.yaml:10:1: info[HF503]: the Ignition config (53380 bytes) does not fit hetzner's 32768-byte user data even compressed"), err
    assert err.count("HF503") == 1
    tf = json.loads((proj / "build" / "terraform" / "main.tf.json").read_text())
    assert "replace" in tf["resource"]["hcloud_server"]["host"]["user_data"]

    # a small build/main.ign of a project whose own Ignition would be too big: nothing to say
    (proj / "secret.txt").write_text(_incompressible(40000))
    (proj / "hostform.yaml").write_text(HOST.replace("port: 8080", "port: 8080\n    secrets: [blob]") + "secrets:\n  blob: {file: secret.txt, embed: true}\n" + target)
    (proj / "build" / "main.ign").write_text('{"ignition": {"version": "3.4.0"}}\n')
    assert hostform(["build", "--check", "big"]) == 0
    assert "info[HF503]" in capsys.readouterr().err
    assert hostform(["plan", "--no-build", "--terraform", terraform, "big"]) == 1
    assert "HF503" not in capsys.readouterr().err
    tf = json.loads((proj / "build" / "terraform" / "main.tf.json").read_text())
    assert tf["resource"]["hcloud_server"]["host"]["user_data"] == '${file("${path.module}/../main.ign")}'  # build/main.ign, as it is


def test_local_default_commands_are_hostform_try(tmp_path):
    from hostform import pipeline

    (tmp_path / "hostform.yaml").write_text(HOST + "target: {provider: local}\n")
    b = pipeline.build(tmp_path, pipeline.Options(checks=False))
    prov = b.terraform["resource"]["terraform_data"]["host"]
    assert prov["provisioner"][0]["local-exec"]["command"] == f"hostform try --detach {tmp_path.resolve()}"
    assert prov["input"]["down"] == "hostform try --stop web"


INIT_OFFLINE = """Initializing provider plugins...
- Finding vultr/vultr versions matching "~> 2.28"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider vultr/vultr:
could not connect to registry.terraform.io: failed to request discovery
document: Get "https://registry.terraform.io/.well-known/terraform.json":
dial tcp: lookup registry.terraform.io: no such host
"""


def test_explain_init_failure():
    msg = explain_init_failure(INIT_OFFLINE, "vultr/vultr")
    assert msg.startswith("terraform init needs the vultr/vultr provider plugin: it is not installed here and the registry cannot be reached")
    assert explain_init_failure("Error: Invalid JSON syntax", "vultr/vultr") is None


@pytest.mark.parametrize(
    "provider,env,missing",
    [
        ("vultr", {}, "VULTR_API_KEY"),
        ("vultr", {"VULTR_API_KEY": "k"}, None),
        ("hetzner", {"HCLOUD_TOKEN": ""}, "HCLOUD_TOKEN"),
        ("digitalocean", {"DIGITALOCEAN_ACCESS_TOKEN": "t"}, None),
        ("digitalocean", {}, "DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"),
        ("aws", {}, None),
        ("local", {}, None),
    ],
)
def test_missing_credentials(provider, env, missing):
    assert missing_credentials(provider, env) == missing
