"""hostform: one declarative file to an immutable, SSH-less container host.

The public API grows with the project; see ``__all__``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
