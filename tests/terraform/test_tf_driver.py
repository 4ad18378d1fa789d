"""Pure command builders and output parsers (fixtures of the project's own), and the runner seam."""

from __future__ import annotations

import json
from pathlib import Path

from hostform._runner import FakeRunner
from hostform.terraform import driver
from hostform.terraform.driver import Change, explain_plan, parse_plan

FIX = Path(__file__).parent / "fixtures"


def test_argv():
    assert driver.init_argv("tofu", "/b/terraform") == ["tofu", "-chdir=/b/terraform", "init", "-input=false", "-no-color"]
    assert driver.plan_argv("terraform", "/w") == ["terraform", "-chdir=/w", "plan", "-input=false", "-no-color", "-out=hostform.tfplan"]
    assert driver.plan_argv("terraform", "/w", destroy=True)[-1] == "-destroy"
    assert driver.show_argv("terraform", "/w") == ["terraform", "-chdir=/w", "show", "-json", "-no-color", "hostform.tfplan"]
    assert driver.apply_argv("terraform", "/w")[-2:] == ["-auto-approve", "hostform.tfplan"]
    assert driver.validate_argv("terraform", "/w")[2:] == ["validate", "-json", "-no-color"]


def test_env_keeps_credentials_in_the_environment_only():
    env = driver.terraform_env({"HCLOUD_TOKEN": "t", "PATH": "/bin"})
    assert env == {"HCLOUD_TOKEN": "t", "PATH": "/bin", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}


def test_find_terraform(tmp_path):
    for name in ("tofu",):
        p = tmp_path / name
        p.write_text("#!/bin/sh\n")
        p.chmod(0o755)
    assert driver.find_terraform(path=str(tmp_path)) == str(tmp_path / "tofu")
    assert driver.find_terraform("tofu", path=str(tmp_path)) == str(tmp_path / "tofu")
    assert driver.find_terraform(path=str(tmp_path / "none")) is None


def test_parse_plan_replace():
    changes = parse_plan((FIX / "plan_vultr_replace.json").read_text())
    assert changes[0] == Change("vultr_instance.host", "vultr_instance", "host", "replace", ("user_data",))
    assert [c.action for c in changes] == ["replace", "update", "no-op", "no-op", "no-op", "no-op"]


def test_words_for_a_replacement():
    changes = parse_plan((FIX / "plan_vultr_replace.json").read_text())
    assert explain_plan(changes) == "this change replaces the VM (the Ignition changed); the state volume and the reserved IP are kept."


def test_words_for_a_first_apply():
    changes = parse_plan((FIX / "plan_aws_create.json").read_text())
    assert all(c.type != "aws_ami" for c in changes)  # data sources are not changes
    assert explain_plan(changes) == (
        "this change creates the VM, the reserved IP, the IP assignment, the state volume, the volume attachment, "
        "the firewall and 2 firewall rules."
    )


def test_words_for_a_destroy():
    changes = parse_plan((FIX / "plan_hetzner_destroy.json").read_text())
    assert explain_plan(changes, destroy=True) == (
        "this change destroys the VM, the state volume (its data is lost) and the reserved IP."
    )


def test_words_for_other_cases():
    assert explain_plan([]) == "no changes: what runs matches the build."
    c = [Change("hcloud_server.host", "hcloud_server", "host", "replace", ("image",)), Change("hcloud_volume.state", "hcloud_volume", "state", "no-op")]
    assert explain_plan(c) == "this change replaces the VM (because image changed); the state volume is kept."
    c = [Change("aws_instance.host", "aws_instance", "host", "update"), Change("aws_eip.host", "aws_eip", "host", "no-op")]
    assert explain_plan(c) == "this change updates the VM in place; the reserved IP is kept."


def test_parse_validate():
    text = json.dumps(
        {"valid": False, "diagnostics": [{"severity": "error", "summary": "Unsupported argument", "detail": "An argument named\n \"x\" is not expected here.",
                                          "range": {"filename": "main.tf.json", "start": {"line": 7, "column": 9}}}]}
    )
    rep = driver.parse_validate(text)
    (d,) = rep.entries
    assert (d.code, d.severity, d.line, d.col) == ("HF504", "error", 7, 9)
    assert d.message == 'Unsupported argument: An argument named "x" is not expected here.'


def test_terraform_through_a_fake_runner():
    fake = FakeRunner()
    fake.on("tf", "-chdir=/w", "show", stdout=(FIX / "plan_vultr_replace.json").read_text())
    t = driver.Terraform("tf", "/w", {"VULTR_API_KEY": "k"}, fake)
    r, changes = t.plan()
    assert r.ok and changes is not None and changes[0].action == "replace"
    assert fake.calls == [tuple(driver.plan_argv("tf", "/w")), tuple(driver.show_argv("tf", "/w"))]
    assert fake.envs[0]["TF_IN_AUTOMATION"] == "1" and fake.envs[0]["VULTR_API_KEY"] == "k"
    fake.on("tf", "-chdir=/w", "plan", returncode=1, stderr="boom")
    r, changes = t.plan()
    assert changes is None and r.stderr == "boom"
