"""hostform.oci: deterministic layers, configs and manifests."""

from __future__ import annotations

import io
import json
import tarfile

from hostform import oci


def test_layers_are_deterministic_and_complete() -> None:
    a = oci.layer_from_entries([oci.Entry.file("www/x/index.html", "hi"), oci.Entry.symlink("bin/sh", "busybox")])
    b = oci.layer_from_entries([oci.Entry.symlink("bin/sh", "busybox"), oci.Entry.file("/www/x/index.html", b"hi")])
    assert a.blob == b.blob and a.digest == b.digest
    with tarfile.open(fileobj=io.BytesIO(a.diff)) as tf:
        names = tf.getnames()
        assert names == sorted(names) == ["bin", "bin/sh", "www", "www/x", "www/x/index.html"]
        assert all(m.mtime == 0 and m.uid == 0 for m in tf.getmembers())


def test_manifest_points_at_config_and_layers() -> None:
    layer = oci.layer_from_entries([oci.Entry.file("a", "1")])
    img = oci.Image([layer], cmd=["/bin/sh"], labels={"k": "v"})
    man = json.loads(img.manifest_bytes())
    assert man["mediaType"] == oci.MANIFEST_TYPE
    assert man["config"]["digest"] == oci.digest(img.config_bytes())
    assert man["layers"] == [{"mediaType": oci.LAYER_TYPE, "digest": layer.digest, "size": len(layer.blob)}]
    cfg = json.loads(img.config_bytes())
    assert cfg["rootfs"]["diff_ids"] == [layer.diff_id] and cfg["config"]["Cmd"] == ["/bin/sh"]
    other = oci.busybox_image(b"BB", {"etc/v": "2"})
    assert other.digest != oci.busybox_image(b"BB", {"etc/v": "1"}).digest
    assert other.digest == oci.busybox_image(b"BB", {"etc/v": "2"}).digest


def test_caddy_and_page_images_are_deterministic_and_laid_out() -> None:
    import io
    import tarfile

    a = oci.caddy_image(b"\x7fELF caddy", b"\x7fELF busybox")
    assert a.digest == oci.caddy_image(b"\x7fELF caddy", b"\x7fELF busybox").digest
    with tarfile.open(fileobj=io.BytesIO(a.layers[0].diff)) as tf:
        members = {m.name: m for m in tf.getmembers()}
    assert members["usr/bin/caddy"].mode == 0o755 and members["bin/wget"].linkname == "busybox"  # the health check's wget
    assert {"data", "config", "etc/caddy"} <= set(members)
    cfg = a.config_bytes().decode()
    assert '"Cmd":["/usr/bin/caddy","run","--config","/etc/caddy/Caddyfile","--adapter","caddyfile"]' in cfg
    assert "XDG_DATA_HOME=/data" in cfg
    p = oci.page_image(b"bb", 8081, "hi\n")
    assert '"Cmd":["/bin/httpd","-f","-p","8081","-h","/www"]' in p.config_bytes().decode()
    assert p.digest != oci.page_image(b"bb", 8081, "hi 2\n").digest
