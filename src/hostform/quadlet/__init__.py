"""Quadlet: podman's systemd generator, reimplemented (podman 6.1 behaviour).

Public API (imported lazily, so ``import hostform.quadlet`` stays cheap):

* :func:`generate` (``hostform.quadlet.generator``): quadlet dirs/files ->
  :class:`GenerateResult` (``units``: service file name -> text,
  ``symlinks``, ``log``: podman's messages, ``report``, ``exit_code``);
* :func:`convert_units` (``hostform.quadlet.generator``): the same from units
  already in memory (what ``generate`` does once it has read the files);
* :func:`supported_keys` (``hostform.quadlet.tables``): the keys of a section;
* :mod:`hostform.quadlet.unitfile`: the unit-file parser/writer
  (:func:`~hostform.quadlet.unitfile.parse_text`, ``read_unit_file``, ``UnitFile``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostform.quadlet.generator import GenerateResult, convert_units, generate
    from hostform.quadlet.tables import supported_keys
    from hostform.quadlet.unitfile import UnitFile, parse_text

__all__ = ["GenerateResult", "UnitFile", "convert_units", "generate", "parse_text", "supported_keys"]

_WHERE = {
    "GenerateResult": "generator",
    "convert_units": "generator",
    "generate": "generator",
    "supported_keys": "tables",
    "UnitFile": "unitfile",
    "parse_text": "unitfile",
}


def __getattr__(name: str) -> object:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'hostform.quadlet' has no attribute {name!r}")
    module = __import__(f"hostform.quadlet.{mod}", fromlist=[name])
    return getattr(module, name)
