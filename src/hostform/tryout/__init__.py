"""Local boots of a host: systemd-nspawn (or QEMU) plus the real Ignition. See harness.py."""
