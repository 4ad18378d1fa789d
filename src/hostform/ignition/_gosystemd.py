"""go-systemd's unit file lexer (``unit.Deserialize``), as Ignition's validation of
systemd units and dropins runs it: the options it reads, or its exact error text.
No ``re``.
"""

from __future__ import annotations

from hostform.gostd import SPACE, quote, trim_space

LINE_MAX = 2048


def parse_unit(content: str) -> tuple[list[tuple[str, str, str]], None] | tuple[None, str]:
    """go-systemd's unit.Deserialize: ([(section, name, value)], None) or (None, error text)."""
    s = content
    n = len(s)
    i = 0
    opts: list[tuple[str, str, str]] = []

    def to_eol(i: int) -> tuple[str, bool, int]:
        j = s.find("\n", i)
        if j < 0:
            line = s[i:]
            if line.endswith("\r"):
                line = line[:-1]
            return line, True, n
        line = s[i:j]  # the "\r" of "\r\n" survives, as in go-systemd
        return line, False, j + 1

    state = "section"
    section = ""
    while True:
        if n - i >= LINE_MAX:
            chunk = s[i : i + LINE_MAX]
            if "\r" not in chunk and "\n" not in chunk:
                return None, "line too long (max %d bytes)" % LINE_MAX
        if state == "section" or state == "sec_or_opt":
            if i >= n:
                return opts, None
            r = s[i]
            i += 1
            if r == "[":
                j = s.find("]", i)
                if j < 0:
                    return None, "unable to find end of section"
                section = s[i:j]
                i = j + 1
                garbage, _, i = to_eol(i)
                garbage = trim_space(garbage)
                if garbage:
                    return None, "found garbage after section name : " + quote(garbage)
                state = "sec_or_opt"
                continue
            if r == "#" or r == ";":
                while True:
                    line, _, i = to_eol(i)
                    if line.endswith(" "):
                        line = line[:-1]
                    if not line.endswith("\\") or i >= n:
                        break
                continue
            if state == "section" or r in SPACE:
                continue
            i -= 1
            j = i
            while True:
                if j >= n:
                    return None, "EOF"
                c = s[j]
                if c == "\n" or c == "\r":
                    return None, "unexpected newline encountered while parsing option name"
                if c == "=":
                    break
                j += 1
            name = trim_space(s[i:j])
            i = j + 1
            partial = ""
            while True:
                line, eof, i = to_eol(i)
                if trim_space(line):
                    partial += line
                    if line.endswith("\\"):
                        if not eof:
                            partial += "\n"
                        if i < n or not eof:
                            continue
                break
            if partial.endswith("\n"):
                val = trim_space(partial) + "\n"
            else:
                val = trim_space(partial)
            opts.append((section, name, val))
            continue
