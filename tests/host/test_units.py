"""`hostform check` and `hostform units` on directories (CLI behaviour, exit codes, formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform.cli import main as cli
from hostform.cli import units as units_cli
from tests.require import no_shared

TINKERBELL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "tinkerbell"

MAIN = """variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/containers/systemd/app.container
      contents:
        local: app.container
systemd:
  units:
    - name: podman-auto-update.timer
      enabled: true
"""
APP = "[Container]\nImage=docker.io/library/nginx:1\n"


def project(tmp_path: Path, app: str = APP) -> Path:
    (tmp_path / "main.bu").write_text(MAIN)
    (tmp_path / "app.container").write_text(app)
    return tmp_path


def test_commands_are_registered():
    assert cli.COMMANDS["check"][0] == "check" and cli.COMMANDS["units"][0] == "units"


def test_check_clean_project_exits_0(tmp_path, capsys):
    assert cli.main(["check", str(project(tmp_path)), "--caddy", "off"]) == 0
    assert capsys.readouterr().out == ""


def test_check_error_exits_1_with_position(tmp_path, capsys, monkeypatch):
    """Files are shown as the user would type them: the project as named on the command line, then the file."""
    d = project(tmp_path, APP + "Imagee=x\n")
    assert cli.main(["check", str(d), "--caddy", "off"]) == 1
    assert capsys.readouterr().out.startswith(f"{d}/app.container:3:1: error[HF301]: ")
    monkeypatch.chdir(d.parent)
    assert cli.main(["check", d.name, "--caddy", "off"]) == 1
    assert capsys.readouterr().out.startswith(f"{d.name}/app.container:3:1: error[HF301]: ")
    monkeypatch.chdir(d)
    assert cli.main(["check", "--caddy", "off"]) == 1
    assert capsys.readouterr().out.startswith("app.container:3:1: error[HF301]: ")


def test_check_json(tmp_path, capsys):
    cli.main(["check", str(project(tmp_path, APP + "Imagee=x\n")), "--format", "json", "--caddy", "off"])
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {"code": "HF301", "severity": "error", "message": rows[0]["message"], "file": "app.container", "line": 3, "col": 1}


def test_check_strict_fails_on_warnings(tmp_path):
    app = "[Container]\nImage=docker.io/library/nginx:1\nAutoUpdate=registry\n[Service]\nRestart=always\n"
    d = project(tmp_path, app)
    assert cli.main(["check", str(d), "--caddy", "off"]) == 0
    assert cli.main(["check", str(d), "--caddy", "off", "--strict"]) == 1


def test_check_podman_version_option(tmp_path, capsys):
    d = project(tmp_path, APP + "Memory=1g\n")
    assert cli.main(["check", str(d), "--caddy", "off", "--podman", "5.4"]) == 1
    assert "HF050" in capsys.readouterr().out
    assert cli.main(["check", str(d), "--caddy", "off", "--podman", "5.8"]) == 0
    assert cli.main(["check", str(d), "--podman", "1.0"]) == 2


def test_provider_from_terraform(tmp_path, capsys):
    """A plain Butane project's provider is read from its *.tf: its user_data limit is the one checked."""
    import secrets

    noise = secrets.token_hex(30000)  # does not compress below 32 KiB
    big = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/big\n      contents:\n        inline: " + noise + "\n"
    (tmp_path / "main.bu").write_text(big)
    assert cli.main(["check", str(tmp_path), "--caddy", "off"]) == 0
    assert "more than the user_data limit of AWS (16 KiB), Hetzner (32 KiB)" in capsys.readouterr().out
    (tmp_path / "x.tf").write_text('resource "hcloud_server" "a" {}\n')
    assert cli.main(["check", str(tmp_path), "--caddy", "off"]) == 1
    assert "Hetzner accepts at most 32768 bytes" in capsys.readouterr().out


def test_units_prints_generated_services(tmp_path, capsys, monkeypatch):
    """The header names the source file as the user named the project (as the findings do)."""
    (tmp_path / "p").mkdir()
    d = project(tmp_path / "p")
    assert cli.main(["units", str(d)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# /run/systemd/generator/app.service (from {d}/app.container)\n")
    assert "ExecStart=/usr/bin/podman run --name systemd-%N" in out
    assert "SourcePath=/etc/containers/systemd/app.container" in out and "/tmp/" not in out.split("\n", 1)[1]  # not the generator's
    monkeypatch.chdir(tmp_path)
    assert cli.main(["units", "p"]) == 0
    assert capsys.readouterr().out.startswith("# /run/systemd/generator/app.service (from p/app.container)\n")
    monkeypatch.chdir(d)
    assert cli.main(["units"]) == 0
    assert capsys.readouterr().out.startswith("# /run/systemd/generator/app.service (from app.container)\n")


QUADLET = "    - path: /etc/containers/systemd/{}.container\n      contents:\n        inline: |\n          [Container]\n          Image=docker.io/library/nginx:1\n{}"


def inline_quadlets(d: Path, *quadlets: tuple[str, str]) -> Path:
    """A main.bu with these (name, more lines) quadlets inline, in this order."""
    body = "".join(QUADLET.format(name, more) for name, more in quadlets)
    (d / "main.bu").write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n" + body)
    return d


def test_units_findings_in_file_order(tmp_path, capsys, monkeypatch):
    """Sorted by file, line and column as `hostform check` sorts them (the generator reads a.container first)."""
    inline_quadlets(tmp_path, ("z", "          Imagee=x\n"), ("a", "          Imagee=x\n"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["units"]) == 1
    err = "main.bu:{}:11: error[HF301]: unsupported key 'Imagee' in group 'Container'\n"
    assert capsys.readouterr().err == err.format(10) + err.format(16)
    assert cli.main(["check", "--caddy", "off"]) == 1
    assert capsys.readouterr().out == err.format(10) + err.format(16)


def test_units_runs_the_generator_once(tmp_path, capsys, monkeypatch):
    """One run gives both the services and the generator's findings."""
    from hostform.host import checks

    runs = []
    real = checks._run_generator
    monkeypatch.setattr(checks, "_run_generator", lambda ctx, **kw: runs.append(1) or real(ctx, **kw))
    assert cli.main(["units", str(inline_quadlets(tmp_path, ("app", ""), ("bad", "          Imagee=x\n")))]) == 1
    out, err = capsys.readouterr()
    assert "# /run/systemd/generator/app.service" in out and "error[HF301]" in err
    assert len(runs) == 1


def test_units_podman_option(tmp_path, capsys):
    """--podman is the target podman of the generator; a version it does not know is a usage error."""
    d = project(tmp_path, APP + "Memory=1g\n")
    assert cli.main(["units", str(d), "--podman", "5.8"]) == 0
    assert " --memory 1g " in capsys.readouterr().out
    assert cli.main(["units", str(d), "--podman", "5.4"]) == 1
    assert capsys.readouterr().err == f"{d}/app.container:3:1: error[HF050]: unsupported key 'Memory' in [Container] (podman >= 5.5; the target is podman 5.4)\n"
    assert cli.main(["units", str(d), "--podman", "1.0"]) == 2
    assert capsys.readouterr().err.startswith("hostform units: --podman: ")


def test_units_reports_generator_errors(tmp_path, capsys):
    assert cli.main(["units", str(project(tmp_path, "[Container]\nNetwork=x.network\n"))]) == 1
    err = capsys.readouterr().err
    assert "app.container" in err and "error[HF30" in err


def test_units_output_dir():
    assert units_cli.output_dir("system") == "/run/systemd/generator"
    assert units_cli.output_dir("user:1000") == "/run/user/1000/systemd/generator"


@pytest.mark.skipif(not TINKERBELL.is_dir(), reason=no_shared(TINKERBELL))
def test_tinkerbell(capsys):
    assert cli.main(["check", str(TINKERBELL), "--caddy", "off"]) == 0
    out = capsys.readouterr().out
    for code in ("HF052", "HF053", "HF054", "HF055", "HF411"):
        assert f"warning[{code}]" in out
    assert f"{TINKERBELL}/main.bu:34:7: warning[HF052]" in out
    assert cli.main(["units", str(TINKERBELL)]) == 0
    out = capsys.readouterr().out
    assert [ln for ln in out.splitlines() if ln.startswith("# ")] == [
        f"# /run/systemd/generator/caddy.service (from {TINKERBELL}/files/caddy.container)",
        f"# /run/systemd/generator/live.service (from {TINKERBELL}/files/live.container)",
        f"# /run/systemd/generator/staging.service (from {TINKERBELL}/files/staging.container)",
        f"# /run/systemd/generator/web-pod.service (from {TINKERBELL}/files/web.pod)",
    ]


def test_units_of_a_host_file_example(capsys):
    example = Path(__file__).resolve().parents[2] / "examples" / "tinkerbell"
    assert cli.main(["units", str(example)]) == 0
    out = capsys.readouterr().out
    heads = [ln for ln in out.splitlines() if ln.startswith("# /run/")]
    assert [h.split(" (from ")[0] for h in heads] == [
        "# /run/systemd/generator/hostform-sites-network.service",
        "# /run/systemd/generator/hostform-network.service",
        "# /run/systemd/generator/caddy.service",
        "# /run/systemd/generator/live.service",
        "# /run/systemd/generator/staging.service",
    ]
    assert all(f" (from {example}/hostform.yaml:" in h for h in heads)
    assert f"# /run/systemd/generator/live.service (from {example}/hostform.yaml:7)" in heads
    assert out.count("ExecStart=/usr/bin/podman run ") == 3  # caddy, live, staging
    # no temporary directory of the generator's run leaks (the example itself may be a clone under /tmp)
    assert "SourcePath=/etc/containers/systemd/live.container" in out and "/tmp/" not in out.replace(str(example), "EXAMPLE")


@pytest.mark.parametrize("where", ["examples/tinkerbell", "bad"])  # bad: a subdirectory (the generator reads files) and an error
def test_one_run_gives_what_generate_units_and_check_generator_give(where, tmp_path):
    """generated_services (what `hostform units` calls) is generate_units and check_generator in one run."""
    from hostform import pipeline
    from hostform.host.checks import Context, check_generator, generate_units, generated_services

    d = inline_quadlets(tmp_path, ("sub/app", ""), ("bad", "          Imagee=x\n")) if where == "bad" else Path(__file__).resolve().parents[2] / where
    bundle = pipeline.build(d, pipeline.Options(caddy="off", checks=False))
    ctx, alone = Context(bundle), Context(bundle)

    def files(units):  # a Quadlet is its Context's; the file it stands for is the same
        return [(scope, name, text, q and q.file) for scope, name, text, q in units]

    assert files(generated_services(ctx)) == files(generate_units(bundle)) != []
    check_generator(alone)
    assert ctx.report.entries == alone.report.entries
    assert (where == "bad") == bool(alone.report.entries)
