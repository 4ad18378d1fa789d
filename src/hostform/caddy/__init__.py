"""Caddy: the Caddyfile hostform writes (``render``) and its checks (``check``)."""

from __future__ import annotations

from hostform.caddy.render import (
    CA_INTERNAL,
    CA_PRODUCTION,
    CA_STAGING,
    CADDY_CONTAINER,
    CADDY_IMAGE,
    CaddyContainer,
    GlobalOptions,
    Mount,
    PublishedPort,
    RenderedCaddyfile,
    Site,
    render_caddyfile,
    render_caddyfile_traced,
)

__all__ = [
    "CADDY_CONTAINER",
    "CADDY_IMAGE",
    "CA_INTERNAL",
    "CA_PRODUCTION",
    "CA_STAGING",
    "CaddyContainer",
    "GlobalOptions",
    "Mount",
    "PublishedPort",
    "RenderedCaddyfile",
    "Site",
    "render_caddyfile",
    "render_caddyfile_traced",
]
