import base64
import gzip
import hashlib
import json

from hostform.terraform.limits import USER_DATA_LIMITS, compress_files, fit_user_data


def ignition(n_files: int, size: int) -> str:
    files = []
    for i in range(n_files):
        text = (f"line {i} of a very repetitive file\n" * (size // 30))[:size]
        files.append({"path": f"/etc/f{i}", "contents": {"source": "data:," + text.replace("\n", "%0A").replace(" ", "%20")}})
    return json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": files}}) + "\n"


def decoded(config: dict) -> list[bytes]:
    out = []
    for f in config["storage"]["files"]:
        c = f["contents"]
        src = c["source"]
        if src.startswith("data:;base64,"):
            raw = base64.b64decode(src.split(",", 1)[1])
        else:
            from urllib.parse import unquote_to_bytes

            raw = unquote_to_bytes(src.split(",", 1)[1])
        out.append(gzip.decompress(raw) if c.get("compression") == "gzip" else raw)
    return out


def test_limits_table():
    assert USER_DATA_LIMITS["aws"] == 16384 and USER_DATA_LIMITS["hetzner"] == 32768 and USER_DATA_LIMITS["local"] is None


def test_small_config_is_kept():
    text = ignition(1, 100)
    f = fit_user_data(text, "aws")
    assert f.how == "plain" and f.user_data == text and not f.report


def test_too_large_is_compressed_with_the_same_bytes():
    text = ignition(4, 8000)
    assert len(text) > 16384
    f = fit_user_data(text, "aws")
    assert f.how == "compressed" and f.size <= 16384
    assert [d.code for d in f.report] == ["HF503"]
    assert decoded(json.loads(f.user_data)) == decoded(json.loads(text))
    # deterministic
    assert fit_user_data(text, "aws").user_data == f.user_data


def test_already_compressed_files_are_left_alone():
    cfg = {"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:;base64,AAAA", "compression": "gzip"}}]}}
    assert compress_files(cfg) == cfg


def incompressible(size: int) -> str:
    import random

    rnd = random.Random(1)
    blob = base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(size))).decode()
    return json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:;base64," + blob}}]}}) + "\n"


def test_replace_stub_when_a_url_is_given():
    text = incompressible(20000)
    f = fit_user_data(text, "aws", "https://example.org/main.ign")
    assert f.how == "replace"
    stub = json.loads(f.user_data)
    rep = stub["ignition"]["config"]["replace"]
    assert rep["source"] == "https://example.org/main.ign"
    assert rep["verification"]["hash"] == "sha512-" + hashlib.sha512(text.encode()).hexdigest()
    assert stub["ignition"]["version"] == "3.4.0"


def test_clear_error_when_nothing_fits():
    f = fit_user_data(incompressible(20000), "aws")
    assert f.how == "too-large" and [d.code for d in f.report.errors] == ["HF502"]
