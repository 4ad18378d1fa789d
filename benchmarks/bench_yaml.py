"""Benchmark: hostform.yamlpos on large generated documents, in MB/s.

Two kinds of document, each about ``--size`` bytes (default 1 MB):

butane
    a Butane config as people write it: comments, ``storage.files`` entries
    with paths, octal modes, quoted and plain strings, literal block
    scalars for file and unit contents, ``systemd.units``, ``passwd`` keys;
host
    a hostform.yaml with many services, each a block mapping of plain
    scalars and small flow mappings, as in benchmarks/bench_build.py.

For each it prints the best of ``--repeat`` runs of ``yamlpos.load`` (the
node tree with positions) and of ``load`` + ``resolve`` (plain data), and,
for reference, PyYAML's pure-Python and C (libyaml) ``SafeLoader`` when
PyYAML is installed (a test dependency).  PyYAML parses YAML 1.1 and keeps
no positions, so it is a yardstick, not a twin.

    python benchmarks/bench_yaml.py [--size BYTES] [--repeat N] [--only KIND]
"""

from __future__ import annotations

import argparse
import time


def butane_doc(size: int) -> str:
    out = [
        "# generated Butane config for the yamlpos benchmark",
        "variant: fcos",
        "version: 1.6.0",
        "passwd:",
        "  users:",
        "    - name: core",
        "      ssh_authorized_keys:",
    ]
    for i in range(20):
        out.append(f"        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{i:04d}examplekeymaterial user{i}@example.org")
    files: list[str] = ["storage:", "  directories:", "    - path: /var/lib/app", "      mode: 0755", "  files:"]
    units: list[str] = ["systemd:", "  units:"]
    total = sum(len(x) + 1 for x in out)
    i = 0
    while total < size:
        chunk = [
            f"    # service {i}: configuration and environment",
            f"    - path: /etc/app/svc{i}/config.toml",
            "      mode: 0644",
            "      overwrite: true",
            "      user:",
            "        name: core",
            "      contents:",
            "        inline: |",
            "          [server]",
            f"          name = \"svc{i}\"",
            f"          listen = \"0.0.0.0:{8000 + i % 1000}\"",
            "          workers = 4",
            "",
            "          [log]",
            "          level = \"info\"",
            f"    - path: /etc/app/svc{i}/env",
            "      mode: 0600",
            "      contents:",
            f"        inline: \"INDEX={i}\\nMODE=production\\n\"",
            f"    - path: /usr/local/bin/svc{i}-check",
            "      mode: 0755",
            "      contents:",
            f"        source: 'https://example.org/releases/svc{i}/check.sh'",
            "        verification:",
            f"          hash: sha256-{i:064x}",
        ]
        unit = [
            f"    - name: svc{i}.service  # the main unit",
            "      enabled: true",
            "      contents: |",
            "        [Unit]",
            f"        Description=Service {i}",
            "        After=network-online.target",
            "        Wants=network-online.target",
            "",
            "        [Service]",
            f"        ExecStart=/usr/bin/podman run --rm --name svc{i} -p {8000 + i % 1000}:8080 ghcr.io/example/svc{i}:latest",
            "        Restart=on-failure",
            "",
            "        [Install]",
            "        WantedBy=multi-user.target",
            f"    - name: svc{i}-check.timer",
            "      enabled: false",
            "      dropins:",
            "        - name: 10-interval.conf",
            "          contents: \"[Timer]\\nOnUnitActiveSec=5min\\n\"",
        ]
        files += chunk
        units += unit
        total += sum(len(x) + 1 for x in chunk) + sum(len(x) + 1 for x in unit)
        i += 1
    return "\n".join(out + files + units) + "\n"


def host_doc(size: int) -> str:
    out = ["# a generated host file", "name: bench", "podman: '5.4'", "services:"]
    total = sum(len(x) + 1 for x in out)
    i = 0
    while total < size:
        chunk = [
            f"  svc{i}:  # service {i}",
            f"    image: ghcr.io/example/svc{i}:latest",
            f"    port: {8000 + i % 1000}",
            f"    env: {{INDEX: \"{i}\", MODE: production}}",
            "    health: {http: /healthz}" if i % 2 == 0 else "    auto_update: false",
            f"    volumes: {{data{i}: /var/lib/svc}}" if i % 4 == 0 else "    command: [serve, --verbose]",
            "    labels:",
            "      - team=blue",
            f"      - tier={'web' if i % 3 else 'db'}",
        ]
        out += chunk
        total += sum(len(x) + 1 for x in chunk)
        i += 1
    out.append("sites:")
    for k in range(0, i, 2):
        out.append(f"  s{k}.example.org: svc{k}")
    out.append("tls: {email: ops@example.org}")
    return "\n".join(out) + "\n"


def best(fn, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=("butane", "host"))
    args = ap.parse_args()

    from hostform import yamlpos

    loaders = {
        "yamlpos.load": yamlpos.load,
        "yamlpos.load+resolve": lambda t: yamlpos.resolve(yamlpos.load(t)),
    }
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        loaders["PyYAML SafeLoader (pure)"] = lambda t: yaml.load(t, Loader=yaml.SafeLoader)
        if getattr(yaml, "CSafeLoader", None) is not None:
            loaders["PyYAML CSafeLoader (libyaml)"] = lambda t: yaml.load(t, Loader=yaml.CSafeLoader)
    docs = {"butane": butane_doc, "host": host_doc}
    for kind, make in docs.items():
        if args.only and kind != args.only:
            continue
        text = make(args.size)
        mb = len(text.encode()) / 1e6
        print(f"{kind}: {mb:.2f} MB, {text.count(chr(10))} lines (best of {args.repeat})")
        for name, fn in loaders.items():
            t = best(fn, text, args.repeat)
            print(f"  {name:<30} {t * 1000:9.1f} ms  {mb / t:7.2f} MB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
