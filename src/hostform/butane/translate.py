"""Butane's TranslateBytes: YAML text in, Ignition JSON out, plus a report.

Stages, as in Butane (``config/config.go`` and ``config/util/util.go``):

1. read ``variant`` and ``version`` alone; pick the translator;
2. decode the whole config (go-yaml type errors are fatal);
3. unused-key warnings;
4. source validation (base, then the fcos variant's rules);
5. translation (base, then the fcos sugar), collecting a TranslationSet;
6. Ignition's duplicate and semantic validation of the result, each finding
   moved back onto the input through the TranslationSet;
7. JSON output.

:func:`translate_bytes` returns ``(output or None, diagnostics, error)``:
``error`` is the text after ``Error translating config: `` when translation
failed.  The diagnostics carry input paths; positions are attached by the
caller (see ``report.correlate``).
"""

from __future__ import annotations

from hostform.diagnostics import Report

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    from typing import Any

    from hostform.butane.schema import Schema
    from hostform.diagnostics import DataPath
    from hostform.translations import TranslationSet
    from hostform.yamlpos import Node

    # go-semver's Version: (major, minor, patch, pre-release, metadata)
    Semver = tuple[int, int, int, str, str]

E_NO_VARIANT = "error parsing variant; must be specified"
E_INVALID_VERSION = "error parsing version; must be a valid semver"
E_INVALID_SOURCE = "source config is invalid"
E_INVALID_GENERATED = "config generated was invalid"
E_RHCOS = "rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/"


class Options:
    """Butane's TranslateOptions (the parts hostform supports)."""

    __slots__ = ("files_dir", "pretty", "no_resource_auto_compression", "safe_inputs")

    def __init__(self, files_dir: str = "", pretty: bool = False, safe_inputs: bool = False) -> None:
        self.files_dir = files_dir
        self.pretty = pretty
        self.no_resource_auto_compression = False
        # not Butane's: local files are read as hostform build reads the project's files
        # (hostform._inputs: inside files_dir with symlinks followed, regular, at most
        # 16 MiB; refusals are HF004). The `hostform butane` drop-in reads as Butane does.
        self.safe_inputs = safe_inputs


class Result:
    """``root`` is the YAML node tree of the input (None without one); from
    :func:`translate_data` it is parsed from the text when first asked for."""

    __slots__ = ("output", "report", "error", "_root", "_text")

    def __init__(self, output: str | None, report: Report, error: str | None, root: Node | None, text: str | None = None) -> None:
        self.output = output
        self.report = report
        self.error = error
        self._root = root
        self._text = text

    @property
    def root(self) -> Node | None:
        if self._text is not None:
            from hostform import yamlpos

            self._root = yamlpos.load(self._text)
            self._text = None
        return self._root


def parse_semver(s: str) -> Semver | None:
    """go-semver's NewVersion: (major, minor, patch, pre, meta) or None."""
    meta = ""
    if "+" in s:
        s, meta = s.split("+", 1)
    pre = ""
    if "-" in s:
        s, pre = s.split("-", 1)
    parts = s.split(".")
    if len(parts) != 3:
        return None
    nums = []
    for p in parts:
        q = p[1:] if p[:1] in "+-" and len(p) > 1 else p
        if not q.isdigit() or not q.isascii():
            return None
        nums.append(int(p))
    if pre and any(not x for x in pre.split(".")):
        return None
    return nums[0], nums[1], nums[2], pre, meta


def semver_string(v: Semver) -> str:
    s = f"{v[0]}.{v[1]}.{v[2]}"
    if v[3]:
        s += "-" + v[3]
    if v[4]:
        s += "+" + v[4]
    return s


def _snake(s: str) -> str:
    """Butane's ``Snake``: "_" before every "MiB" and capital letter, then lower case."""
    out = []
    i = 0
    while i < len(s):
        if s.startswith("MiB", i):
            out.append("_MiB")
            i += 3
            continue
        c = s[i]
        out.append("_" + c if "A" <= c <= "Z" else c)
        i += 1
    return "".join(out).lower()


def map_path(ts: TranslationSet, path: DataPath) -> DataPath:
    """Butane's TranslateReportPaths for one json path."""
    f = ts.set.get(tuple(path))
    if f is not None:
        return f
    return tuple(_snake(p) if isinstance(p, str) else p for p in path)


class _Common:
    """Butane's ``commonFields``: what it decodes first, to pick a translator."""

    structs: dict[str, list[tuple[str, str]]] = {"commonFields": [("version", "string"), ("variant", "string")]}

    @staticmethod
    def go_name(t: str) -> str:
        return "config.commonFields" if t == "commonFields" else t


def _top_strings(root: Node | None) -> tuple[str, str, str | None]:
    """version and variant as go-yaml decodes them into strings, and
    go-yaml's error (None without one)."""
    from hostform import yamlpos
    from hostform.butane.decode import Decoder

    if root is None:
        return "", "", None
    d = Decoder(_Common())
    try:
        out = d.value("commonFields", root) or {}
    except yamlpos.YAMLError as e:
        return "", "", e.message
    if d.errors:
        return "", "", yamlpos.format_type_errors(d.errors)
    return out.get("version") or "", out.get("variant") or "", None


def translate_bytes(data: bytes, options: Options) -> Result:
    from hostform import yamlpos

    text = data.decode("utf-8", "surrogateescape")
    report = Report()
    try:
        root = yamlpos.load(text)
    except yamlpos.YAMLError as e:
        return Result(None, report, f"Error unmarshaling yaml: {e.message}", None)

    version, variant, err = _top_strings(root)
    if err is not None:
        return Result(None, report, "Error unmarshaling yaml: " + err, root)
    if variant == "":
        return Result(None, report, E_NO_VARIANT, root)
    sv = parse_semver(version)
    if sv is None:
        return Result(None, report, E_INVALID_VERSION, root)
    vs = semver_string(sv)
    from hostform.butane.schema import FCOS_VERSIONS, schema

    if variant == "rhcos" and vs == "0.1.0":
        return Result(None, report, E_RHCOS, root)
    if variant != "fcos" or vs not in FCOS_VERSIONS:
        return Result(None, report, f"No translator exists for variant {variant} with version {vs}", root)
    sch = schema(vs)

    from hostform.butane import decode as dec

    if root is None or (root.kind == "scalar" and root.tag == "!!null"):
        return Result(None, report, "EOF", root)
    try:
        cfg, errors = dec.decode(root, sch)
    except yamlpos.YAMLError as e:
        return Result(None, report, e.message, root)
    if errors:
        return Result(None, report, "yaml: unmarshal errors:\n  " + "\n  ".join(errors), root)
    return _finish(cfg, dec.unused_keys(root, cfg, sch), sch, options, report, root, None)


def translate_data(data: dict[str, Any], text: str, options: Options) -> Result:
    """:func:`translate_bytes` of ``text`` given ``data``, the plain value
    ``text`` was written from (``hostform.host.render.to_yaml``), so that the
    YAML is not parsed again.

    The config is decoded from ``data`` with go-yaml's rules as they apply to
    what ``to_yaml`` writes.  Anything outside the cases where that gives
    the same config as decoding ``text`` (a value of another type than its
    field's, a key that is not a plain word, a string YAML would read
    differently...) is handed to :func:`translate_bytes`, as is every input
    go-yaml or the decoder refuses, so that errors keep their line numbers.
    ``result.root`` (for positions) parses ``text`` only when asked for.
    """
    from hostform.butane import decode as dec

    version = data.get("version", "")
    variant = data.get("variant", "")
    sv = parse_semver(version) if type(version) is str else None
    if type(variant) is not str or variant != "fcos" or sv is None:
        return translate_bytes(text.encode("utf-8", "surrogateescape"), options)
    from hostform.butane.schema import FCOS_VERSIONS, schema

    vs = semver_string(sv)
    if vs not in FCOS_VERSIONS:
        return translate_bytes(text.encode("utf-8", "surrogateescape"), options)
    sch = schema(vs)
    try:
        cfg = dec.decode_data(data, sch)
    except dec.NotPlain:
        return translate_bytes(text.encode("utf-8", "surrogateescape"), options)
    return _finish(cfg, dec.unused_keys_data(data, cfg, sch), sch, options, Report(), None, text)


def _finish(
    cfg: dict[str, Any], unused: list[tuple[DataPath, str]], sch: Schema, options: Options, report: Report, root: Node | None, text: str | None
) -> Result:
    for path, msg in unused:
        report.warn("HF003", msg, path)
    if report.is_fatal():
        return Result(None, report, E_INVALID_SOURCE, root, text)

    out, err = _translate(cfg, sch, options, report)
    if out is None:  # err says why
        return Result(None, report, err, root, text)
    from hostform import ignition

    return Result(ignition.emit(out, sch.ign_version, options.pretty), report, None, root, text)


def _translate(cfg: dict[str, Any], sch: Schema, options: Options, report: Report) -> tuple[dict[str, Any] | None, str | None]:
    """(the Ignition config, None), or (None, the error) when translation failed."""
    from hostform.butane import base, fcos

    # source validation
    vrep = Report()
    fcos.validate_fcos(cfg, sch.version, vrep, "top")
    base.validate(cfg, sch, vrep)
    fcos.validate_fcos(cfg, sch.version, vrep, "fields")
    report.merge(vrep)
    if report.is_fatal():
        return None, E_INVALID_SOURCE

    # translation
    trep = Report()
    out, ts = base.translate(cfg, sch, options.files_dir, trep, options.safe_inputs)
    if trep.is_fatal():
        report.merge(trep)
        return None, E_INVALID_SOURCE
    fcos.translate_fcos(cfg, out, ts, trep, sch.version, no_resource_auto_compression=options.no_resource_auto_compression)
    report.merge(trep)
    if report.is_fatal():
        return None, E_INVALID_SOURCE

    # the generated config
    from hostform import ignition

    irep = ignition.validate(out, sch.ign_version)
    from hostform.diagnostics import Diagnostic

    code_of = {"error": "HF200", "warning": "HF201"}
    for d in irep:
        p = map_path(ts, tuple(d.path or ()))
        report.add(Diagnostic(d.severity, code_of.get(d.severity, d.code), d.message, p))
    if report.is_fatal():
        return None, E_INVALID_GENERATED
    return out, None

