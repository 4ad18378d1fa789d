"""The real terraform, offline: the local target's whole workflow, escaping, validate where a provider is installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform._runner import SubprocessRunner
from hostform.cli.main import main as hostform
from hostform.escape import terraform_string as escape
from hostform.terraform import driver
from hostform.terraform.model import parse_target
from hostform.terraform.render import render
from tests.require import need

from .helpers import TARGETS, mirrored

IGN_V1 = '{"ignition":{"version":"3.4.0"}}\n'
IGN_V2 = '{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"data:,v2"}}]}}\n'


def project(tmp_path: Path, script: Path, ign: str) -> Path:
    proj = tmp_path / "proj"
    (proj / "build").mkdir(parents=True)
    (proj / "hostform.yaml").write_text(
        "name: web\n"
        "target:\n"
        "  provider: local\n"
        "  local:\n"
        f'    up: "{script} up {{dir}} {{name}}"\n'
        f'    down: "{script} down {{name}}"\n'
    )
    (proj / "build" / "main.ign").write_text(ign)
    return proj


def test_local_target_full_cycle(tmp_path, terraform, tf_env, recorder, capsys):
    script, log = recorder
    proj = project(tmp_path, script, IGN_V1)
    common = ["--no-build", "--terraform", terraform, str(proj)]

    assert hostform(["plan", *common]) == 0
    assert capsys.readouterr().out == "this change creates the local VM.\n"
    assert not log.exists()  # plan runs nothing

    tfdir = proj / "build" / "terraform"
    t = driver.Terraform(terraform, str(tfdir), dict(__import__("os").environ), SubprocessRunner())
    r, rep = t.validate()
    assert r.ok and not rep, r.stdout + r.stderr

    assert hostform(["apply", "--yes", *common]) == 0
    out = capsys.readouterr().out
    assert out.startswith("this change creates the local VM.")
    assert log.read_text() == f"up {proj} web\n"

    assert hostform(["plan", *common]) == 0
    assert capsys.readouterr().out == "no changes: what runs matches the build.\n"

    # a change to the host replaces the VM
    (proj / "build" / "main.ign").write_text(IGN_V2)
    assert hostform(["plan", *common]) == 0
    assert capsys.readouterr().out == "this change replaces the local VM (the Ignition changed).\n"
    _, changes = t.plan()
    assert [(c.address, c.action, c.because) for c in changes] == [("terraform_data.host", "replace", ("triggers_replace",))]
    assert hostform(["apply", "--yes", *common]) == 0
    capsys.readouterr()
    assert log.read_text() == f"up {proj} web\ndown web\nup {proj} web\n"

    assert hostform(["destroy", "--yes", *common]) == 0
    assert capsys.readouterr().out.startswith("this change destroys the local VM.")
    assert log.read_text().splitlines()[-1] == "down web"
    assert json.loads((tfdir / "terraform.tfstate").read_text())["resources"] == []


def test_apply_refuses_without_confirmation(tmp_path, terraform, tf_env, recorder, capsys, monkeypatch):
    script, log = recorder
    proj = project(tmp_path, script, IGN_V1)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    assert hostform(["apply", "--no-build", "--terraform", terraform, str(proj)]) == 1
    assert not log.exists()


def test_escaping_round_trips_through_terraform(tmp_path, terraform, tf_env):
    """Whatever the Ignition holds reaches the provider unchanged: plan a terraform_data input and read it back."""
    tricky = IGN_V2 + '${var.x} %{ if true }x%{ endif } $${y} \\n "q" ü \u2028 ${'
    work = tmp_path / "esc"
    work.mkdir()
    (work / "main.tf.json").write_text(json.dumps({"resource": {"terraform_data": {"t": {"input": escape(tricky)}}}}))
    t = driver.Terraform(terraform, str(work), dict(__import__("os").environ), SubprocessRunner())
    assert t.init().ok
    r, changes = t.plan()
    assert changes is not None, r.stderr
    shown = t.run(driver.show_argv(terraform, str(work)))
    after = json.loads(shown.stdout)["resource_changes"][0]["change"]["after"]["input"]
    assert after == tricky


KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
AWS = {"provider": "aws", "region": "eu-west-3", "size": "t3.micro", "dns": {"domain": "example.org", "records": ["", "www"]}}


@pytest.fixture
def aws_dir(tmp_path, terraform, tf_env):
    if not mirrored("hashicorp/aws"):
        need("the hashicorp/aws provider is not installed offline (no plugin mirror at HOSTFORM_TF_PLUGIN_MIRROR or /opt/tf-plugins)")
    t, _ = parse_target(AWS)
    work = tmp_path / "aws"
    work.mkdir()
    (work / "main.tf.json").write_text(json.dumps(render(t, IGN_V2, "web").tf, indent=2))
    (tmp_path / "main.ign").write_text(IGN_V2)  # OUT/main.ign, which OUT/terraform/main.tf.json reads
    tf = driver.Terraform(terraform, str(work), dict(__import__("os").environ), SubprocessRunner())
    r = tf.init()
    assert r.ok, r.stderr
    return tf


@pytest.mark.slow
def test_aws_validates(aws_dir):
    r, rep = aws_dir.validate()
    assert r.ok and not rep.is_fatal(), rep.format()


@pytest.mark.slow
def test_aws_arguments_match_the_provider_schema(aws_dir):
    """The JSON uses only arguments the installed provider knows, and sets every required one."""
    r = aws_dir.run([aws_dir.binary, f"-chdir={aws_dir.workdir}", "providers", "schema", "-json"])
    assert r.ok, r.stderr
    schemas = next(iter(json.loads(r.stdout)["provider_schemas"].values()))
    tf = json.loads(Path(aws_dir.workdir, "main.tf.json").read_text())
    for kind, section in (("resource_schemas", "resource"), ("data_source_schemas", "data")):
        for rtype, by_name in tf.get(section, {}).items():
            block = schemas[kind][rtype]["block"]
            attrs = block.get("attributes", {})
            nested = block.get("block_types", {})
            for name, body in by_name.items():
                for key in body:
                    assert key in attrs or key in nested, f"{rtype}.{name}: unknown argument {key}"
                    if key in attrs:
                        assert not (attrs[key].get("computed") and not attrs[key].get("optional")), f"{rtype}.{name}.{key} is read-only"
                for key, a in attrs.items():
                    if a.get("required"):
                        assert key in body, f"{rtype}.{name}: missing required {key}"


@pytest.mark.parametrize("provider", ["vultr", "hetzner", "digitalocean"])
def test_validate_other_providers_where_installed(provider, tmp_path, terraform, tf_env):
    from hostform.terraform.render import PROVIDER_SOURCES

    source = PROVIDER_SOURCES[provider][1]
    if not mirrored(source):
        pytest.skip(f"the {source} provider is not installed offline; terraform validate needs it")
    t, _ = parse_target(TARGETS[provider])
    (tmp_path / "main.tf.json").write_text(json.dumps(render(t, IGN_V2, "web").tf))
    tf = driver.Terraform(terraform, str(tmp_path), dict(__import__("os").environ), SubprocessRunner())
    assert tf.init().ok
    r, rep = tf.validate()
    assert r.ok and not rep.is_fatal(), rep.format()


def test_host_file_values_reach_the_provider_as_written(tmp_path, terraform, tf_env):
    """Env values that look like Terraform templates, built from a host file into main.tf.json's user data,
    reach the provider unchanged: Terraform's own plan of that string gives back the Ignition byte for byte."""
    from hostform import pipeline
    from hostform.host.build import outputs

    proj = tmp_path / "host"
    proj.mkdir()
    (proj / "hostform.yaml").write_text(
        "name: web\nservices:\n  app:\n    image: ghcr.io/example/app:1\n"
        "    env: {A: '${file(\"/etc/passwd\")}', B: '%{ if true }x%{ endif }', C: '$${y}', D: '${'}\n"
        # an SSH key's comment is written as it is into the Ignition's JSON (file contents are data URLs)
        f"access: {{ssh_keys: ['ssh-ed25519 {KEY} me ${{file(\"/etc/passwd\")}} %{{ for x in y }}']}}\n"
        "target: {provider: vultr, region: ams, size: vc2-1c-1gb, image: snap}\n"
    )
    b = pipeline.build(proj, pipeline.Options(checks=False))
    assert not b.report.errors, b.report.format()
    tf = json.loads(next(data for rel, data, _ in outputs(b) if rel.endswith("main.tf.json")))
    user_data = tf["resource"]["vultr_instance"]["host"]["user_data"]  # as written in main.tf.json: main.ign's content
    assert '${file(\\"/etc/passwd\\")}' in b.ignition_text and user_data != b.ignition_text
    work = tmp_path / "build" / "terraform"  # as `hostform build` lays it out
    work.mkdir(parents=True)
    (tmp_path / "build" / "main.ign").write_text(b.ignition_text)
    (work / "main.tf.json").write_text(json.dumps({"resource": {"terraform_data": {"t": {"input": user_data}}}}))
    t = driver.Terraform(terraform, str(work), dict(__import__("os").environ), SubprocessRunner())
    assert t.init().ok
    r, changes = t.plan()
    assert changes is not None, r.stderr
    shown = t.run(driver.show_argv(terraform, str(work)))
    assert json.loads(shown.stdout)["resource_changes"][0]["change"]["after"]["input"] == b.ignition_text  # ... and read back as is
