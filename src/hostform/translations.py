"""TranslationSet: every generated output path traced back to its input path.

When a translator turns the input (a Butane config, a host file) into an
output (an Ignition config, quadlet files), it records, for each output path,
the input path it came from.  A finding on the output (an Ignition validation
error at ``("storage", "files", 3, "path")``) is then moved back onto the
input (``("storage", "trees", 0, "local")``) and from there to a line and
column.  This is Butane's ``translate.TranslationSet``.

Paths are tuples of keys (str) and list indices (int).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    from hostform.diagnostics import DataPath


class TranslationSet:
    __slots__ = ("from_tag", "to_tag", "set")

    def __init__(self, from_tag: str = "yaml", to_tag: str = "json") -> None:
        self.from_tag = from_tag
        self.to_tag = to_tag
        # output path -> input path
        self.set: dict[DataPath, DataPath] = {}

    def add(self, from_path: DataPath, to_path: DataPath) -> None:
        """Record that output ``to_path`` came from input ``from_path``."""
        self.set[to_path] = from_path

    def add_identity(self, *paths: DataPath) -> None:
        for p in paths:
            self.set[p] = p

    def add_from_common_source(self, from_path: DataPath, to_prefix: DataPath, value: object) -> None:
        """Map ``to_prefix`` and every path below it in ``value`` (the output
        subtree) to the single input path ``from_path``."""
        self.set[to_prefix] = from_path
        stack: list[tuple[DataPath, object]] = [(to_prefix, value)]
        while stack:
            prefix, v = stack.pop()
            if isinstance(v, dict):
                for k, child in v.items():
                    p = prefix + (k,)
                    self.set[p] = from_path
                    stack.append((p, child))
            elif isinstance(v, list):
                for i, child in enumerate(v):
                    p = prefix + (i,)
                    self.set[p] = from_path
                    stack.append((p, child))

    def merge(self, other: TranslationSet) -> None:
        self.set.update(other.set)

    def prefixed(self, from_prefix: DataPath, to_prefix: DataPath) -> TranslationSet:
        """A copy with ``from_prefix`` and ``to_prefix`` put before every path."""
        ts = TranslationSet(self.from_tag, self.to_tag)
        ts.set = {to_prefix + t: from_prefix + f for t, f in self.set.items()}
        return ts

    def map_path(self, to_path: DataPath) -> DataPath | None:
        """The input path for ``to_path``: an exact entry, else that of the
        nearest recorded ancestor (None when nothing above it is recorded)."""
        p = to_path
        while True:
            f = self.set.get(p)
            if f is not None:
                return f
            if not p:
                return None
            p = p[:-1]

    def __len__(self) -> int:
        return len(self.set)

    def __contains__(self, to_path: object) -> bool:
        return to_path in self.set


def leaf_paths(value: object, prefix: DataPath = ()) -> list[DataPath]:
    """Every path of ``value``'s subtree (containers and leaves), in order."""
    out = [prefix]
    if isinstance(value, dict):
        for k, child in value.items():
            out.extend(leaf_paths(child, prefix + (k,)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(leaf_paths(child, prefix + (i,)))
    return out


def missing_coverage(ts: TranslationSet, output: object) -> list[DataPath]:
    """Output paths with no exact entry in ``ts`` (Butane's
    ``DebugVerifyCoverage``); tests assert that this is empty."""
    return [p for p in leaf_paths(output) if p and p not in ts.set]
