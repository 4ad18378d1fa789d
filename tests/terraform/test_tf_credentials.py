"""No credential reaches the build directory or the Ignition.

Sentinel tokens are put in the environment, then each target is rendered and
planned through ``hostform plan`` with the real terraform (offline: a cloud
provider's init or plan fails where its plugin or API is out of reach, which is
fine: what matters is what was written), and every file under the project is
searched for the sentinels.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostform.cli.main import main as hostform

SENTINELS = {
    "VULTR_API_KEY": "SENTINEL-vultr-5f2a",
    "HCLOUD_TOKEN": "SENTINEL-hcloud-81c3",
    "DIGITALOCEAN_TOKEN": "SENTINEL-do-0b7e",
    "DIGITALOCEAN_ACCESS_TOKEN": "SENTINEL-do2-77aa",
    "AWS_ACCESS_KEY_ID": "AKIASENTINEL000001",
    "AWS_SECRET_ACCESS_KEY": "SENTINEL-aws-secret-9d41",
    "AWS_SESSION_TOKEN": "SENTINEL-aws-session-3e02",
}

TARGETS = {
    "vultr": "provider: vultr\n  region: cdg\n  size: vc2-1c-1gb\n  image_url: https://example.org/fcos.raw.xz\n",
    "hetzner": "provider: hetzner\n  region: fsn1\n  size: cx22\n  image: '123'\n",
    "digitalocean": "provider: digitalocean\n  region: fra1\n  size: s-1vcpu-1gb\n  image: '123'\n",
    "aws": "provider: aws\n  region: eu-west-3\n  size: t3.micro\n",
}


def files_with_sentinels(root: Path) -> list[str]:
    hits = []
    needles = [v.encode() for v in SENTINELS.values()]
    for dirpath, _, names in os.walk(root):  # symlinks (e.g. to a plugin) are not followed
        for n in names:
            p = Path(dirpath, n)
            if p.is_symlink() or not p.is_file():
                continue
            data = p.read_bytes()
            if any(s in data for s in needles):
                hits.append(str(p.relative_to(root)))
    return hits


@pytest.fixture
def sentinel_env(monkeypatch, tf_env, tmp_path):
    for k, v in SENTINELS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("TF_DATA_DIR")  # keep terraform's own data inside the build directory, to be searched too


@pytest.mark.parametrize("provider", sorted(TARGETS))
def test_no_credential_in_build_dir(provider, tmp_path, terraform, sentinel_env, capsys):
    proj = tmp_path / provider
    (proj / "build").mkdir(parents=True)
    (proj / "hostform.yaml").write_text(f"name: web\ntarget:\n  {TARGETS[provider]}")
    (proj / "build" / "main.ign").write_text('{"ignition":{"version":"3.4.0"}}\n')
    hostform(["plan", "--no-build", "--terraform", terraform, str(proj)])  # fails offline: fine
    capsys.readouterr()
    assert (proj / "build" / "terraform" / "main.tf.json").is_file()
    assert files_with_sentinels(proj) == []


def test_no_credential_after_a_local_apply(tmp_path, terraform, sentinel_env, recorder, capsys):
    """The local target goes all the way (plan file, state, provisioners) with the sentinels set."""
    script, log = recorder
    proj = tmp_path / "local"
    (proj / "build").mkdir(parents=True)
    (proj / "hostform.yaml").write_text(f'name: web\ntarget:\n  provider: local\n  local:\n    up: "{script} up"\n    down: "{script} down"\n')
    (proj / "build" / "main.ign").write_text('{"ignition":{"version":"3.4.0"}}\n')
    assert hostform(["apply", "--yes", "--no-build", "--terraform", terraform, str(proj)]) == 0
    capsys.readouterr()
    assert (proj / "build" / "terraform" / "terraform.tfstate").is_file()
    assert (proj / "build" / "terraform" / "hostform.tfplan").is_file()
    assert files_with_sentinels(proj) == []
    assert log.read_text() == "up\n"


def test_the_search_finds_a_leak(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.json").write_text('{"token": "%s"}' % SENTINELS["HCLOUD_TOKEN"])
    assert files_with_sentinels(tmp_path) == ["a/x.json"]
