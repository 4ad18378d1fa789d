"""Reading the project's input files safely: regular files only, inside the project, up to a cap.

A host file names local files (``env_files``, ``quadlets``, ``butane``,
``secrets[].file``, Butane's ``local:``/``contents_local``/``trees``); the build
reads them into Ignition. A name is read only when

* after following symlinks it lies inside the project directory (a project
  cloned from someone else cannot copy ``~/.ssh/id_ed25519`` into user data);
* it is a regular file: a FIFO would block the build forever, ``/dev/zero``
  would fill memory, a directory or socket makes no sense. The file is opened
  with ``O_NONBLOCK`` (opening a FIFO then returns at once) and checked with
  ``fstat`` on the open descriptor, so a file swapped between the check and the
  open is caught too;
* it is at most ``cap`` bytes (at most ``cap + 1`` bytes are ever read, so a file
  that grows while it is read cannot make the build eat memory).

Caps: :data:`HOST_FILE_CAP` (1 MiB) for ``hostform.yaml``: the largest real host
file is a few KiB; a megabyte of YAML is hundreds of services. :data:`LOCAL_FILE_CAP`
(16 MiB) for a local file embedded into Ignition, and for a plain project's
``main.bu`` (which may inline such files): the user data of most clouds takes
16-256 KiB in all, but ``target.user_data_url`` lifts that limit (the VM fetches
the config), and Ignition holds the whole config in memory on first boot; 16 MiB
is far above any config file or certificate bundle and keeps the build's memory
(the file, its data URL, the JSON) bounded.

Errors are values: :class:`InputError`, whose text completes a sentence that
starts with the name (``"app.env" + " is a FIFO, not a regular file"``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["HOST_FILE_CAP", "LOCAL_FILE_CAP", "InputError", "inside", "read_input", "size_text"]

KiB = 1 << 10
MiB = 1 << 20
HOST_FILE_CAP = 1 * MiB
LOCAL_FILE_CAP = 16 * MiB

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputError:
    """Why a file was not read: ``str(err)`` follows the file's name in a message."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __str__(self) -> str:
        return self.why

    def __repr__(self) -> str:
        return f"InputError({self.why!r})"


def size_text(n: int) -> str:
    """``16 MiB``, ``64 KiB``, else the exact byte count."""
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def inside(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """``path``, symlinks followed, is ``root`` (symlinks followed) or below it."""
    r = os.path.realpath(root)
    p = os.path.realpath(path)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def _os_error(e: OSError) -> InputError:
    import errno

    if e.errno == errno.ENOENT:
        return InputError("does not exist")
    if e.errno == errno.ENOTDIR:
        return InputError("does not exist (a part of its path is not a directory)")
    if e.errno == errno.ELOOP:
        return InputError("cannot be read: too many levels of symlinks")
    return InputError(f"cannot be read: {(e.strerror or str(e)).lower()}")


def read_input(root: str | os.PathLike[str] | None, rel: str, cap: int, what: str = "a local file") -> bytes | InputError:
    """The bytes of ``root/rel`` (``rel`` alone without a root), or why not.

    With a ``root``, the file must lie inside it once symlinks are followed.
    ``what`` names the kind of file in the size message ("... more than the
    16 MiB a local file may have").
    """
    if "\0" in rel:
        return InputError("is not a file name (it contains a NUL character)")
    path = Path(rel) if root is None else Path(root) / rel
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError) as e:  # ValueError: a name the OS refuses
        return InputError(f"cannot be read: {e}")
    if root is not None and not inside(root, real):
        r, written = os.path.abspath(root), os.path.abspath(path)  # lexically, as written
        inside_as_written = written == r or written.startswith(r.rstrip(os.sep) + os.sep)
        return InputError("is outside the project directory (symlinks followed)" if inside_as_written else "is outside the project directory")
    try:
        st = os.stat(real)
    except OSError as e:
        return _os_error(e)
    if not stat.S_ISREG(st.st_mode):  # refused before it is ever opened: opening a device can have effects
        return InputError(f"is {_kind(st.st_mode)}, not a regular file")
    too_big = f"more than the {size_text(cap)} {what} may have"
    if st.st_size > cap:
        return InputError(f"is {size_text(st.st_size)}, {too_big}")
    try:
        # O_NONBLOCK: a FIFO put here since the stat opens at once instead of waiting for a writer;
        # O_NOFOLLOW: nor is the last component a symlink put here since realpath()
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        return _os_error(e)
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):
            return InputError(f"is {_kind(fst.st_mode)}, not a regular file")
        if fst.st_size > cap:
            return InputError(f"is {size_text(fst.st_size)}, {too_big}")
        chunks = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as e:
        return _os_error(e)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        return InputError(f"grew while it was read, to {too_big}")
    return data
