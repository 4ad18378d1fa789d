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
