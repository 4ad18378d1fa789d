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
