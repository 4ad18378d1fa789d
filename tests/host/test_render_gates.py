"""The host renderer gates on the target podman by named change (quadlet.versions.CHANGES), and its
results (the loader's and the renderer's) are frozen values."""

from __future__ import annotations

import dataclasses

import pytest

from hostform.host import model as m
from hostform.host.load import load_text
from hostform.host.render import _has_change, render

HOST = """name: h
podman: "{version}"
services:
  web: {{image: ghcr.io/x/web:1, port: 80, health: {{cmd: /bin/true}}}}  # cmd: podman runs it (http is probed from the host)
sites:
  web.example.org: web
"""


@pytest.mark.parametrize(("version", "has"), [("4.9", False), ("5.0", True), ("5.8", True)])
def test_notify_healthy_from_podman_5_0(version: str, has: bool) -> None:
    """podman 5.0's quadlet first reads Notify=healthy (containers/podman 6cb2f9b1); before, Notify= is a
    boolean, "healthy" reads as false and the start is not gated: HF019 says so instead."""
    ld = load_text(HOST.format(version=version))
    assert ld.host is not None, [d.format() for d in ld.report]
    r = render(ld.host, lambda rel: None, ld.where)
    texts = {a.vm_path.rsplit("/", 1)[1]: a.text for a in r.quadlets}
    assert ("Notify=healthy\n" in texts["web.container"]) is has
    assert ("Notify=healthy\n" in texts["caddy.container"]) is has
    hf019 = [d for d in r.report if d.code == "HF019"]
    assert [(d.line, d.col) for d in hf019] == ([] if has else [(4, 51)])


def test_an_unknown_change_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="notify-healty"):
        _has_change(m.Host("h"), "notify-healty")


def test_loaded_and_rendered_are_frozen() -> None:
    ld = load_text(HOST.format(version="5.8"))
    assert ld.host is not None
    r = render(ld.host, lambda rel: None, ld.where)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ld.host = None  # type: ignore[misc]  # the point: it cannot be assigned
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.caddyfile = None  # type: ignore[misc]  # the point: it cannot be assigned
    assert isinstance(r.quadlets, tuple) and isinstance(r.files, tuple)
    assert r.all_files() == (*r.files, r.caddyfile, *r.quadlets)
