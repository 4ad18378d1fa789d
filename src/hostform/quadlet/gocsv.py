"""The subset of Go's ``encoding/csv`` that quadlet uses for ``Mount=`` values.

``read_all`` follows Go's Reader defaults (comma ``,``, no lazy quotes, every
record must have as many fields as the first) including its error texts;
``write_record`` follows Go's Writer (quote only where needed, no final newline).
"""

from __future__ import annotations


class CSVError(Exception):
    pass


def read_all(text: str) -> list[list[str]]:
    records: list[list[str]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    nfields = -1
    while i < len(lines):
        line = lines[i]
        start_line = i + 1
        i += 1
        if line == "" and (i >= len(lines) or True):
            if line == "":
                continue
        fields: list[str] = []
        pos = 0
        cur_line = start_line
        while True:
            if pos < len(line) and line[pos] == '"':
                # quoted field
                pos += 1
                buf: list[str] = []
                while True:
                    q = line.find('"', pos)
                    if q == -1:
                        buf.append(line[pos:])
                        if i < len(lines):
                            buf.append("\n")
                            line = lines[i]
                            i += 1
                            cur_line += 1
                            pos = 0
                            continue
                        col = len(line) + 1
                        raise CSVError(_err(start_line, cur_line, col, 'extraneous or missing " in quoted-field'))
                    buf.append(line[pos:q])
                    pos = q + 1
                    if pos < len(line) and line[pos] == '"':
                        buf.append('"')
                        pos += 1
                        continue
                    if pos >= len(line):
                        fields.append("".join(buf))
                        pos = -1
                        break
                    if line[pos] == ",":
                        fields.append("".join(buf))
                        pos += 1
                        break
                    raise CSVError(_err(start_line, cur_line, pos + 1, 'extraneous or missing " in quoted-field'))
                if pos == -1:
                    break
                continue
            comma = line.find(",", pos)
            field = line[pos:] if comma == -1 else line[pos:comma]
            q = field.find('"')
            if q != -1:
                raise CSVError(_err(start_line, cur_line, pos + q + 1, 'bare " in non-quoted-field'))
            fields.append(field)
            if comma == -1:
                break
            pos = comma + 1
        if nfields == -1:
            nfields = len(fields)
        elif len(fields) != nfields:
            raise CSVError(f"record on line {start_line}: wrong number of fields")
        records.append(fields)
    return records


def _err(start: int, line: int, col: int, msg: str) -> str:
    if start != line:
        return f"record on line {start}; parse error on line {line}, column {col}: {msg}"
    return f"parse error on line {line}, column {col}: {msg}"


def _needs_quotes(field: str) -> bool:
    if field == "":
        return False
    if field == "\\.":
        return True
    if any(c in field for c in ',"\r\n'):
        return True
    return field[0] in " \t\n\v\f\r\x85\xa0" or field[0].isspace()


def write_record(fields: list[str]) -> str:
    out = []
    for f in fields:
        if _needs_quotes(f):
            out.append('"' + f.replace('"', '""') + '"')
        else:
            out.append(f)
    return ",".join(out)
