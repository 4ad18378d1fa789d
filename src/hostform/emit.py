"""Writing outputs: inside OUT only, never through a symlink, atomically, in a fixed order.

:func:`write_tree` writes files given relative to OUT:

* **Inside OUT only.** OUT itself must not be a symlink; every directory below it
  is created and entered with ``O_DIRECTORY | O_NOFOLLOW`` relative to the one
  above (``dir_fd``), so a symlink put anywhere under OUT, even while the build
  runs, cannot redirect a write. A symlink, or something that is neither a
  directory nor a regular file, where the build would write is refused
  (:class:`OutputError`) before anything is written.
* **Atomically.** Each file goes to a temporary name in its directory, created
  with ``O_EXCL | O_NOFOLLOW`` and for its owner only, given its final mode once
  written, and renamed over the target: a reader never sees a half-written file.
* **Modes.** Each file gets exactly the mode given (``fchmod``: 0600 for files
  with secrets, whatever the umask).
* **Pruning what it wrote, only.** ``OUT/.hostform-manifest`` (text, one relative
  path a line, written last) lists the files of the build. The next build
  deletes the files listed there that it does not write now, and nothing else:
  a file a person put in OUT is never deleted. A listed name that is not a
  plain relative name (``..``, absolute, empty parts) is ignored; deleting goes
  through directory descriptors opened without following symlinks and removes
  only regular files. An OUT without a manifest (from an older hostform, or a
  directory that was there before) has nothing deleted; the files a build of
  old would have pruned are reported (:attr:`Written.unlisted`).

Files are written in the order given, so two builds of the same input touch the
same files the same way.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["MANIFEST", "OutputError", "Written", "current_umask", "write_atomic", "write_tree"]

MANIFEST = ".hostform-manifest"
_MANIFEST_HEAD = "# hostform build: the files it wrote, one a line; the next build deletes those it no longer writes\n"
_MANIFEST_CAP = 1 << 20
_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class OutputError(Exception):
    """hostform does not write there; the message names the path and says why."""


class Written:
    """What :func:`write_tree` did: ``paths`` written; ``pruned``: stale outputs deleted
    (relative names); ``unlisted``: with no manifest yet, files left in the ``legacy``
    directories that a build would once have deleted."""

    __slots__ = ("paths", "pruned", "unlisted")

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.pruned: list[str] = []
        self.unlisted: list[str] = []


def current_umask() -> int:
    """The process's umask, read without changing it (``Umask:`` in /proc/self/status, Linux 4.7+)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # elsewhere: set and restore; meanwhile the strictest umask, so nothing is created more open
    old = os.umask(0o777)
    os.umask(old)
    return old


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """One file by path (parents created as needed; the path is trusted): ``hostform init``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def valid_name(rel: str) -> bool:
    """A plain relative output name: no empty, ``.`` or ``..`` part, not absolute, one line, no NUL."""
    if not rel or rel.startswith("/") or any(c in rel for c in "\0\n\r"):
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "of an unknown kind"


class _Tree:
    """Directory descriptors under OUT, opened without following symlinks, by relative path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fds: dict[str, int] = {}

    def shown(self, rel: str) -> str:
        return os.path.join(os.fspath(self.root), rel) if rel else os.fspath(self.root)

    def _refuse(self, rel: str, st: os.stat_result, want: str, parent: int) -> OutputError:
        where = self.shown(rel)
        if stat.S_ISLNK(st.st_mode):
            try:
                to = os.readlink(rel.rsplit("/", 1)[-1], dir_fd=parent)
                where += f" (-> {to})"
            except OSError:
                pass
            return OutputError(f"{where} is a symlink: hostform writes only inside {self.root}, never through a symlink; remove it")
        return OutputError(f"{where} is {_kind(st.st_mode)}, not {want}; hostform does not write there")

    def open_root(self, create: bool) -> int | None:
        if "" in self.fds:
            return self.fds[""]
        p = os.fspath(self.root)
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            if not create:
                return None
            self.root.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.mkdir(p)
            except FileExistsError:
                pass
        else:
            if stat.S_ISLNK(st.st_mode):
                raise self._root_link(p)
            if not stat.S_ISDIR(st.st_mode):
                raise OutputError(f"{p} is {_kind(st.st_mode)}, not a directory")
        try:
            fd = os.open(p, _O_DIR)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise self._root_link(p) from None
            raise
        self.fds[""] = fd
        return fd

    def _root_link(self, p: str) -> OutputError:
        return OutputError(f"{p} is a symlink: hostform writes only into a real directory, never through a symlink; give its target as -o, or remove it")

    def dir(self, rel: str, create: bool, strict: bool = True) -> int | None:
        """The descriptor of OUT/rel; missing: made (``create``) or None. Not a real
        directory: OutputError (``strict``) or None."""
        if rel in self.fds:
            return self.fds[rel]
        if not rel:
            return self.open_root(create)
        head, _, name = rel.rpartition("/")
        parent = self.dir(head, create, strict)
        if parent is None:
            return None
        if create:
            try:
                os.mkdir(name, 0o777, dir_fd=parent)  # the umask applies
            except FileExistsError:
                pass
        try:
            fd = os.open(name, _O_DIR, dir_fd=parent)
        except FileNotFoundError:
            if create:
                raise
            return None
        except OSError as e:
            if e.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            if not strict:
                return None
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
            raise self._refuse(rel, st, "a directory", parent) from None
        self.fds[rel] = fd
        return fd

    def check_file(self, rel: str, create: bool) -> tuple[int, str] | None:
        """(directory descriptor, name) of a file to write: its directory a real one, the
        file missing or a regular file. None when its directory is missing (and not ``create``)."""
        head, _, name = rel.rpartition("/")
        d = self.dir(head, create)
        if d is None:
            return None
        try:
            st = os.stat(name, dir_fd=d, follow_symlinks=False)
        except FileNotFoundError:
            return d, name
        if not stat.S_ISREG(st.st_mode):
            raise self._refuse(rel, st, "a regular file", d)
        return d, name

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _write(d: int, name: str, data: bytes, mode: int) -> None:
    """Write ``name`` in directory ``d``: a new temporary file there, renamed over it."""
    while True:
        tmp = f".{name}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode & 0o600, dir_fd=d)
            break
        except FileExistsError:
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=d, dst_dir_fd=d)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=d)
        except OSError:
            pass
        raise


def _read_manifest(t: _Tree) -> list[str] | None:
    """The names listed in OUT's manifest; None when there is none."""
    root = t.open_root(create=False)
    if root is None:
        return None
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=root)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{t.shown(MANIFEST)} is {_kind(st.st_mode)}, not a regular file")
        data = os.read(fd, _MANIFEST_CAP + 1)
    finally:
        os.close(fd)
    if len(data) > _MANIFEST_CAP:
        raise OutputError(f"{t.shown(MANIFEST)} is more than 1 MiB: not a manifest hostform wrote; remove it")
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return [x for x in lines if x and not x.startswith("#")]


def write_tree(
    root: Path,
    files: list[tuple[str, bytes, int]],
    manifest: bool = True,
    legacy: tuple[str, ...] = (),
    manifest_mode: int | None = None,
) -> Written:
    """Write ``files`` (``(path relative to root, data, mode)``) in order, only inside
    ``root``; then (``manifest``) delete the files the previous build listed and this
    one does not write, and write the manifest (mode ``manifest_mode``, by default
    ``0o666 & ~umask``). ``legacy``: directories an old build pruned wholesale; with no
    manifest yet, their files not written now are left and listed in ``unlisted``.
    Raises :class:`OutputError` (refused; nothing written when found before writing)
    or OSError."""
    root = Path(root)
    names = [rel for rel, _, _ in files]
    for rel in names:
        if not valid_name(rel) or rel == MANIFEST:
            raise OutputError(f"{rel!r} is not a file name hostform writes in {root}")
    done = Written()
    t = _Tree(root)
    try:
        # refuse before anything is written: a symlink or odd file anywhere on the way
        t.open_root(create=False)
        for rel in names + ([MANIFEST] if manifest else []):
            t.check_file(rel, create=False)
        old = _read_manifest(t) if manifest else None
        for rel, data, mode in files:
            where = t.check_file(rel, create=True)
            assert where is not None  # create: its directory is made, or an error raised
            _write(*where, data, mode)
            done.paths.append(root / rel)
        if not manifest:
            return done
        now = set(names)
        if old is not None:
            for rel in old:
                if rel in now or not valid_name(rel) or rel == MANIFEST:
                    continue
                head, _, name = rel.rpartition("/")
                d = t.dir(head, create=False, strict=False)
                if d is None:
                    continue
                try:
                    st = os.stat(name, dir_fd=d, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    os.unlink(name, dir_fd=d)
                    done.pruned.append(rel)
        else:
            for sub in legacy:
                d = t.dir(sub, create=False, strict=False)
                if d is None:
                    continue
                for name in sorted(os.listdir(d)):
                    rel = f"{sub}/{name}"
                    if rel not in now and not name.startswith(".") and stat.S_ISREG(os.stat(name, dir_fd=d, follow_symlinks=False).st_mode):
                        done.unlisted.append(rel)
        if manifest_mode is None:
            manifest_mode = 0o666 & ~current_umask()
        text = _MANIFEST_HEAD + "".join(rel + "\n" for rel in names)
        where = t.check_file(MANIFEST, create=True)
        assert where is not None  # create: OUT is made, or an error raised
        _write(*where, text.encode("utf-8", "surrogateescape"), manifest_mode)
        return done
    finally:
        t.close()
