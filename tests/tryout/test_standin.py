"""What `hostform try` changes in a built host (stand-ins, internal CA): pure functions."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path

from hostform.tryout import standin as S

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinkerbell"


def _built(tmp: Path) -> dict:
    out = tmp / "out"
    res = subprocess.run([sys.executable, "-m", "hostform", "build", str(EXAMPLE), "-o", str(out), "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads((out / "main.ign").read_text())


def test_containers_and_stand_in_plan_of_the_example(tmp_path: Path) -> None:
    doc = _built(tmp_path)
    found = {c.name: c for c in S.quadlet_containers(doc)}
    assert found["live"].image == "ams.vultrcr.com/lthms/www/soap.coffee:live" and found["live"].ports == [8081]
    assert found["staging"].ports == [8080] and found["caddy"].ports == [80, 443]
    plan, skipped = S.stand_in_plan(list(found.values()))
    assert not skipped
    by = {s.image: s for s in plan}
    live = by["ams.vultrcr.com/lthms/www/soap.coffee:live"]
    assert (live.repo, live.tag, live.services, live.caddy) == ("stand-in/ams.vultrcr.com/lthms/www/soap.coffee", "live", ["live"], False)
    assert by["docker.io/library/caddy:2"].caddy
    assert S.remaps(plan, "10.77.0.1:5000") == {
        "ams.vultrcr.com": "10.77.0.1:5000/stand-in/ams.vultrcr.com",
        "docker.io": "10.77.0.1:5000/stand-in/docker.io",
    }


def test_prepare_puts_caddy_on_the_internal_ca_and_keeps_the_original(tmp_path: Path) -> None:
    doc = _built(tmp_path)
    before = json.dumps(doc)
    plan, _ = S.stand_in_plan(S.quadlet_containers(doc))
    new = S.prepare(doc, plan)
    assert json.dumps(doc) == before
    caddyfile = S.file_text(new, S.CADDYFILE)
    assert caddyfile is not None and "\tlocal_certs\n" in caddyfile
    assert S.site_names(caddyfile) == ["soap.coffee", "staging.soap.coffee"]


def test_file_text_reads_gzip_and_plain_data_urls() -> None:
    gz = base64.b64encode(gzip.compress(b"hello")).decode()
    doc = {"storage": {"files": [
        {"path": "/a", "contents": {"source": f"data:;base64,{gz}", "compression": "gzip"}},
        {"path": "/b", "contents": {"source": "data:,hi%20there"}},
    ]}}  # fmt: skip
    assert S.file_text(doc, "/a") == "hello" and S.file_text(doc, "/b") == "hi there"
    S.set_file_text(doc, "/a", "new")
    assert S.file_text(doc, "/a") == "new" and "compression" not in doc["storage"]["files"][0]["contents"]


def test_internal_ca_and_site_names() -> None:
    assert S.internal_ca("a.example {\n\trespond hi\n}\n").startswith("{\n\tlocal_certs\n")
    assert S.internal_ca("{\n\tlocal_certs\n}\n") == "{\n\tlocal_certs\n}\n"
    assert S.site_names("{\n\temail x\n}\n\nhttps://a.example, b.example {\n}\n(snip) {\n}\n") == ["a.example", "b.example"]


def test_references_without_stand_in_and_drop_exec() -> None:
    assert S.split_reference("quay.io/a/b@sha256:00") is None
    assert S.split_reference("busybox") is None
    assert S.split_reference("localhost:5000/x") == ("localhost:5000", "x", "latest")
    assert S.drop_exec("[Container]\nImage=x\nExec=serve --port 1\nEntrypoint=/x\n") == "[Container]\nImage=x\n"
    assert S.page_cmd([8080, 8081])[-1] == "httpd -p 8080 -h /www; exec httpd -f -p 8081 -h /www"
