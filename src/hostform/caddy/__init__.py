"""Caddy: the Caddyfile hostform writes (``render``) and its checks (``check``)."""

from __future__ import annotations

from hostform.caddy.check import (
    CaddyNotFoundError,
    check_caddy_ports,
    check_caddyfile,
    check_structure,
    find_caddy,
    relocate,
    validate_with_caddy,
)
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
    "CaddyNotFoundError",
    "GlobalOptions",
    "Mount",
    "PublishedPort",
    "RenderedCaddyfile",
    "Site",
    "check_caddy_ports",
    "check_caddyfile",
    "check_structure",
    "find_caddy",
    "relocate",
    "render_caddyfile",
    "render_caddyfile_traced",
    "validate_with_caddy",
]
