"""Version gates by named change: the one way hostform asks "does this version do X?".

Each emulated tool (podman's quadlet generator, Butane's spec versions, the host
renderer's target podman) keeps a table of *named* behaviour changes, each with
the first version that has it::

    QUADLET = Changes("podman", ("5.4", "5.8", "6.1"), {"entrypoint-equals": "6.1"})
    if QUADLET.at("5.8").has("entrypoint-equals"): ...

A name is the reason for the branch, so code reads as the tool's changelog,
and a misspelt name is a ``KeyError`` at once instead of a silent ``False``
(which an integer comparison or a ``name in set`` test would give).
"""

from __future__ import annotations

# typing-only imports: this module is on the start-up path of `hostform quadlet`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Changes", "Gate"]


class Gate:
    """The named changes one version of a tool has."""

    __slots__ = ("_owner", "version", "names")

    def __init__(self, owner: Changes, version: str, names: frozenset[str]) -> None:
        self._owner = owner
        self.version = version
        self.names = names

    def has(self, change: str) -> bool:
        """Does this version behave as ``change`` says? KeyError for a change the table does not name."""
        if change not in self._owner.table:
            raise KeyError(f"{self._owner.tool}: no change named {change!r}")
        return change in self.names

    def __repr__(self) -> str:
        return f"Gate({self._owner.tool} {self.version}: {sorted(self.names)})"


class Changes:
    """A tool's ordered versions and its named changes, each with the first version that has it."""

    __slots__ = ("tool", "versions", "table", "_gates")

    def __init__(self, tool: str, versions: Sequence[str], table: Mapping[str, str]) -> None:
        for name, first in table.items():
            if first not in versions:
                raise ValueError(f"{tool}: change {name!r} names version {first!r}, not one of {tuple(versions)}")
        self.tool = tool
        self.versions = tuple(versions)
        self.table = dict(table)
        self._gates: dict[str, Gate] = {}

    def at(self, version: str) -> Gate:
        """The gate of ``version`` (one of :attr:`versions`; ValueError otherwise)."""
        gate = self._gates.get(version)
        if gate is None:
            if version not in self.versions:
                raise ValueError(f"{self.tool}: unknown version {version!r}")
            i = self.versions.index(version)
            names = frozenset(n for n, first in self.table.items() if self.versions.index(first) <= i)
            gate = self._gates[version] = Gate(self, version, names)
        return gate

    def since(self, change: str) -> str:
        """The first version that has ``change`` (KeyError for an unknown name)."""
        return self.table[change]
