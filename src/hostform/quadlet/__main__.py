"""``python -m hostform.quadlet``: the drop-in for /usr/libexec/podman/quadlet."""

from __future__ import annotations

import sys

from hostform.cli.quadlet import main

sys.exit(main(sys.argv[1:]))
