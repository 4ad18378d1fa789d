"""A test OTLP/HTTP receiver: decodes what a collector posts to /v1/logs and /v1/metrics with the
`opentelemetry-proto` package and appends one JSON line per log record and per metric data point to a file.

Run as ``OTLP_TOKEN=TOKEN python -m tests.e2e._otlp ADDRESS PORT OUT``: it answers 401 (and records
nothing) to a request whose Authorization header is not ``TOKEN``, 200 with an empty export response otherwise.
The e2e test runs it in the machine's outer network namespace, at the address the guest reaches.
"""

from __future__ import annotations

import gzip
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _value(v: Any) -> Any:
    """An AnyValue as plain data."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind)


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


def log_lines(body: bytes) -> list[dict[str, Any]]:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    req = ExportLogsServiceRequest.FromString(body)
    out = []
    for rl in req.resource_logs:
        res = _attrs(rl.resource.attributes)
        for sl in rl.scope_logs:
            for rec in sl.log_records:
                out.append({"signal": "log", "resource": res, "attributes": _attrs(rec.attributes), "body": _value(rec.body),
                            "severity": rec.severity_text})
    return out


def metric_lines(body: bytes) -> list[dict[str, Any]]:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    req = ExportMetricsServiceRequest.FromString(body)
    out = []
    for rm in req.resource_metrics:
        res = _attrs(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                points = getattr(metric, kind).data_points if kind in ("gauge", "sum", "histogram") else []
                for p in points:
                    if kind == "histogram":  # its points have a count and buckets, not one value
                        value = p.count
                    else:
                        value = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
                    out.append({"signal": "metric", "resource": res, "name": metric.name, "attributes": _attrs(p.attributes),
                                "value": value})
    return out


def serve(address: str, port: int, out_path: str, token: str) -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse

    decoders = {"/v1/logs": (log_lines, ExportLogsServiceResponse), "/v1/metrics": (metric_lines, ExportMetricsServiceResponse)}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(size, 64 << 20))
            given = (self.headers.get("Authorization") or "").encode()
            if not hmac.compare_digest(given, token.encode()):
                self._answer(401, b"")
                return
            known = decoders.get(self.path)
            if known is None:
                self._answer(404, b"")
                return
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            decode, response = known
            lines = decode(body)
            with open(out_path, "a", encoding="utf-8") as f:
                for line in lines:
                    f.write(json.dumps({"at": time.time(), **line}, default=str) + "\n")
            self._answer(200, response().SerializeToString())

        def _answer(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"otlp: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    ThreadingHTTPServer((address, port), Handler).serve_forever()


if __name__ == "__main__":
    import os

    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], os.environ["OTLP_TOKEN"])
