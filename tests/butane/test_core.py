"""Unit tests of the Butane core: schema, decoding, data URLs, validation,
translation and the CLI's flag parsing."""

from __future__ import annotations

import contextlib
import gzip
import io
import json

from hostform.butane import base
from hostform.butane.schema import schema
from hostform.butane.translate import Options, parse_semver, translate_bytes


def tr(text: str, files_dir: str = "") -> tuple:
    res = translate_bytes(text.encode(), Options(files_dir))
    return res, [(d.severity, d.message, d.path) for d in res.report]


def out(text: str, files_dir: str = "") -> dict:
    res, diags = tr(text, files_dir)
    assert res.error is None, (res.error, diags)
    return json.loads(res.output)


HEAD = "variant: fcos\nversion: 1.7.0\n"


def test_schema_go_names() -> None:
    s = schema("1.7.0")
    assert s.go_name("[]File") == "[]v0_7.File"
    assert s.go_name("*string") == "string"
    assert s.go_name("BootDevice") == "v1_7.BootDevice"
    assert "quadlets" not in dict(s.structs["Systemd"])
    assert "quadlets" in dict(schema("1.8.0-experimental").structs["Systemd"])


def test_camel() -> None:
    assert base.camel("size_mib") == "sizeMiB"
    assert base.camel("http_headers") == "httpHeaders"
    assert base.camel("ssh_authorized_keys") == "sshAuthorizedKeys"


def test_semver() -> None:
    assert parse_semver("1.8.0-experimental") == (1, 8, 0, "experimental", "")
    assert parse_semver("1.7") is None
    assert parse_semver("x.y.z") is None


def test_data_url_choice() -> None:
    assert base.make_data_url(b"hello", None) == ("data:,hello", "")
    url, comp = base.make_data_url(bytes(range(256)) * 2, None)
    assert url.startswith("data:;base64,")
    url, comp = base.make_data_url(b"a" * 1000, None)
    assert comp == "gzip"
    import base64

    assert gzip.decompress(base64.b64decode(url.split(",", 1)[1])) == b"a" * 1000
    # explicit compression: never compressed again, compression left alone
    assert base.make_data_url(b"a" * 1000, "gzip")[1] is None


def test_decimal_mode() -> None:
    assert base.decimal_mode(644, False)
    assert not base.decimal_mode(0o644, False)
    assert base.decimal_mode(755, True)


def test_unit_name_escape() -> None:
    assert base.unit_name_path_escape("/var/lib/data") == "var-lib-data"
    assert base.unit_name_path_escape("/dev/disk/by-label/x-y") == "dev-disk-by\\x2dlabel-x\\x2dy"
    # go-systemd v22.7.0 (Butane v0.29.0's) writes a byte as \x%x: unpadded below 0x10, unlike systemd-escape
    assert base.unit_name_path_escape("/var/a\tb") == "var-a\\x9b"
    assert base.unit_name_path_escape("/dev/x\x01y") == "dev-x\\x1y"
    assert base.unit_name_path_escape("/.a/ä") == "\\x2ea-\\xc3\\xa4"


def test_mount_unit_names_are_butanes() -> None:
    fs = "storage:\n  filesystems:\n    - device: \"/dev/x\\x01y\"\n      path: \"/var/a\\tb\"\n      format: ext4\n      with_mount_unit: true\n"
    (unit,) = out(HEAD + fs)["systemd"]["units"]
    assert unit["name"] == "var-a\\x9b.mount"
    assert "Requires=systemd-fsck@dev-x\\x1y.service" in unit["contents"]


def test_empty_config() -> None:
    assert out(HEAD) == {"ignition": {"version": "3.6.0"}}
    assert out("variant: fcos\nversion: 1.8.0-experimental\n") == {"ignition": {"version": "3.7.0-experimental"}}


def test_version_errors() -> None:
    assert tr("variant: fcos\nversion: 1.9.0\n")[0].error == "No translator exists for variant fcos with version 1.9.0"
    assert tr("version: 1.7.0\n")[0].error == "error parsing variant; must be specified"
    assert tr("variant: fcos\nversion: one\n")[0].error == "error parsing version; must be a valid semver"


def test_type_error() -> None:
    res, _ = tr(HEAD + "storage:\n  files:\n    path: /a\n")
    assert res.error == "yaml: unmarshal errors:\n  line 5: cannot unmarshal !!map into []v0_7.File"


MERGE = "yaml: map merge requires map or sequence of maps as the value"


def test_bad_merge_values_are_errors() -> None:
    # go-yaml aborts the decode: no "unmarshal errors" list, earlier type errors dropped
    assert tr("<<: ''\n")[0].error == "Error unmarshaling yaml: " + MERGE
    assert tr(HEAD + "<<: [1]\n")[0].error == "Error unmarshaling yaml: " + MERGE
    assert tr(HEAD + "storage:\n  files: 1\n  <<: 3\n")[0].error == MERGE
    assert tr(HEAD + "a: &a [{path: /x}]\nstorage:\n  files:\n    - <<: *a\n")[0].error == MERGE
    assert tr(HEAD + "storage: &s\n  <<: *s\n")[0].error == "yaml: anchor 's' value contains itself"


def test_merge_keys_decode_like_go_yaml() -> None:
    text = HEAD + "d: &d {path: /a, mode: 0600}\nstorage:\n  files:\n    - <<: [*d, {path: /b, user: {name: x}}]\n      mode: 0644\n"
    res, _ = tr(text)
    assert res.error is None
    f = json.loads(res.output)["storage"]["files"][0]
    assert (f["path"], f["mode"], f["user"]) == ("/a", 0o644, {"name": "x"})


def test_duplicate_keys_are_errors() -> None:
    # yaml.v3's decoder: every duplicate of every mapping it decodes, in decode order; a
    # mapping with one decodes nothing, its siblings still do
    res, _ = tr(HEAD + "storage:\n  files:\n    - path: /a\n      path: /b\n      mode: 1\n      mode: 2\n    - path: 7\n      user: {name: a, name: b}\n")
    assert res.error == (
        "yaml: unmarshal errors:\n  line 6: mapping key \"path\" already defined at line 5\n"
        "  line 8: mapping key \"mode\" already defined at line 7\n"
        "  line 10: mapping key \"name\" already defined at line 10"
    )
    assert tr(HEAD + "version: 1.7.0\n")[0].error == 'Error unmarshaling yaml: yaml: unmarshal errors:\n  line 3: mapping key "version" already defined at line 2'
    # an anchored mapping is checked each time it is decoded; keys of unknown fields are not decoded
    res, _ = tr(HEAD + "x: {a: 1, a: 2}\nd: &d {path: /a, path: /b}\nstorage:\n  files: [*d, *d]\n")
    assert res.error == 'yaml: unmarshal errors:\n  line 4: mapping key "path" already defined at line 4\n  line 4: mapping key "path" already defined at line 4'
    assert tr(HEAD + "storage:\n  files:\n    - <<: {path: /a}\n      <<: {path: /b}\n")[0].error == 'yaml: unmarshal errors:\n  line 6: mapping key "<<" already defined at line 5'


def test_values_contradicting_their_tag_abort() -> None:
    err = "yaml: cannot decode !!str `abc` as a !!int"
    assert tr("variant: fcos\nversion: !!int abc\n")[0].error == "Error unmarshaling yaml: " + err
    assert tr(HEAD + "storage: !!int abc\n")[0].error == err
    assert tr(HEAD + "storage:\n  files:\n    - path: !!int abc\n")[0].error == err
    assert tr(HEAD + "storage:\n  !!int abc: 1\n")[0].error == err


def test_type_error_on_alias_is_at_the_anchor() -> None:
    res, _ = tr(HEAD + "x: &x {a: 1}\nstorage:\n  files:\n    - path: *x\n")
    assert res.error == "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!map into string"


def test_unused_key_warning() -> None:
    res, diags = tr(HEAD + "storage:\n  file: []\n")
    assert diags == [("warning", "unused key file", ("storage", "file"))]
    assert res.output is not None


def test_inline_file_and_mode() -> None:
    cfg = out(HEAD + "storage:\n  files:\n    - path: /etc/a\n      mode: 0644\n      contents:\n        inline: hi\n")
    f = cfg["storage"]["files"][0]
    assert f["mode"] == 0o644 and f["contents"] == {"compression": "", "source": "data:,hi"}


def test_too_many_sources() -> None:
    res, diags = tr(HEAD + "storage:\n  files:\n    - path: /a\n      contents:\n        inline: x\n        source: data:,y\n")
    assert res.error == "source config is invalid"
    assert diags[0][1] == base.E_TOO_MANY_RESOURCE_SOURCES


def test_local_needs_files_dir(tmp_path) -> None:
    text = HEAD + "storage:\n  files:\n    - path: /a\n      contents:\n        local: x\n"
    res, diags = tr(text)
    assert diags == [("error", base.E_NO_FILES_DIR, ("storage", "files", 0, "contents", "local"))]
    (tmp_path / "x").write_text("local text")
    assert out(text, str(tmp_path))["storage"]["files"][0]["contents"]["source"] == "data:,local%20text"
    res, diags = tr(HEAD + "storage:\n  files:\n    - path: /a\n      contents:\n        local: ../x\n", str(tmp_path / "sub"))
    assert diags[0][1] == base.E_FILES_DIR_ESCAPE


def test_ssh_keys_local(tmp_path) -> None:
    (tmp_path / "k.pub").write_text("ssh-ed25519 A\r\n\nssh-rsa B\n")
    cfg = out(HEAD + "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: [x]\n      ssh_authorized_keys_local: [k.pub]\n", str(tmp_path))
    assert cfg["passwd"]["users"][0]["sshAuthorizedKeys"] == ["x", "ssh-ed25519 A", "ssh-rsa B"]


def test_mount_unit() -> None:
    cfg = out(HEAD + "storage:\n  filesystems:\n    - device: /dev/vdb\n      format: xfs\n      path: /var/data\n      with_mount_unit: true\n")
    unit = cfg["systemd"]["units"][0]
    assert unit["name"] == "var-data.mount" and unit["enabled"] is True
    assert "Where=/var/data\nWhat=/dev/vdb\nType=xfs" in unit["contents"]


def test_mount_unit_needs_format() -> None:
    res, diags = tr(HEAD + "storage:\n  filesystems:\n    - device: /dev/vdb\n      with_mount_unit: true\n")
    assert diags == [("error", base.E_MOUNT_NO_FORMAT, ("storage", "filesystems", 0, "format"))]


def test_unit_contents_local(tmp_path) -> None:
    (tmp_path / "u.service").write_text("[Service]\n")
    cfg = out(HEAD + "systemd:\n  units:\n    - name: u.service\n      contents_local: u.service\n", str(tmp_path))
    assert cfg["systemd"]["units"][0]["contents"] == "[Service]\n"


def test_tree(tmp_path) -> None:
    (tmp_path / "t" / "d").mkdir(parents=True)
    (tmp_path / "t" / "d" / "f").write_text("x")
    (tmp_path / "t" / "l").symlink_to("d/f")
    cfg = out(HEAD + "storage:\n  trees:\n    - local: t\n      path: /etc/t\n", str(tmp_path))
    assert cfg["storage"]["files"][0]["path"] == "/etc/t/d/f"
    assert cfg["storage"]["links"] == [{"path": "/etc/t/l", "target": "d/f"}]


def test_quadlets() -> None:
    cfg = out(
        "variant: fcos\nversion: 1.8.0-experimental\nsystemd:\n  quadlets:\n"
        "    - name: web@.container\n      contents: '[Container]'\n      rootful: true\n"
        "    - name: web@1.container\n      rootful: true\n"
    )
    st = cfg["storage"]
    assert st["files"][0]["path"] == "/etc/containers/systemd/web@.container"
    assert st["links"][0] == {"path": "/etc/containers/systemd/web@1.container", "target": "web@.container"}


def test_generated_config_invalid_maps_back() -> None:
    res, diags = tr(HEAD + "storage:\n  files:\n    - path: rel\n")
    assert res.error == "config generated was invalid"
    assert diags == [("error", "path not absolute", ("storage", "files", 0, "path"))]


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from hostform.cli import butane

    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = butane.main(argv)
    return rc, o.getvalue(), e.getvalue()


def test_cli_flags(tmp_path) -> None:
    from hostform.cli.butane import parse_args

    opts, args = parse_args(["-pd", "dir", "--strict", "in.bu", "--output=o.ign"])
    assert opts == {"pretty": True, "files-dir": "dir", "strict": True, "output": "o.ign"} and args == ["in.bu"]
    opts, _ = parse_args(["-ddir", "--raw-errors"])
    assert opts["files-dir"] == "dir" and opts["raw-errors"] is True
    rc, _, err = _cli(["--bogus"])
    assert rc == 2 and err.startswith("Usage:") and err.endswith("unknown flag: --bogus\n")
    rc, _, err = _cli(["a", "b"])
    assert rc == 2
    p = tmp_path / "in.bu"
    p.write_text(HEAD + "storage:\n  file: []\n")
    rc, o, err = _cli(["--strict", str(p)])
    assert rc == 1 and o == "" and err.endswith("Config produced warnings and --strict was specified\n")
    rc, o, err = _cli(["-p", str(p)])
    assert rc == 0 and o == '{\n  "ignition": {\n    "version": "3.6.0"\n  }\n}\n'
    rc, o, _ = _cli(["--check", str(p)])
    assert rc == 0 and o == ""
    rc, _, err = _cli([str(tmp_path / "missing.bu")])
    assert rc == 1 and "no such file or directory" in err


def test_usage_lists_flags() -> None:
    from hostform.cli.butane import usage

    u = usage()
    assert "  -d, --files-dir string" in u and "--raw-errors" in u and "--debug" not in u
