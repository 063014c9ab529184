"""Where a command will write, checked before it does anything else.

A run may take minutes; a report folder that cannot be written must be found before the first request,
not after the last one (when the findings would be lost). Every check here is one
:class:`OutputError` line naming the option and the fix (exit 2), and none of them creates anything:
a missing folder is checked through its nearest existing parent, which must be a writable folder.

A reused report folder is emptied of the suite's own files (:data:`SUITE_FILES`, :data:`SUITE_DIRS`)
when a run starts, so nothing of a previous run (its Allure results and failures, its sandbox log,
its verdict) can be read as this run's. Files the suite does not write are left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from conformance.errors import UsageError

#: Files a run (or ``fdconf merge``) writes into its report folder.
SUITE_FILES = ("results.json", "junit.xml", "summary.md", "certificate.html", "pytest-junit.xml",
               "sandbox.log")
#: Folders a run writes there (Allure results) or ``fdconf report`` renders there by default.
SUITE_DIRS = ("allure-results", "allure-report")


class OutputError(UsageError):
    """An output path cannot be written: it is a file, lies under a file, or is not writable."""


def _absolute(path: str | Path, cwd: Path | None) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (cwd or Path.cwd()) / p


def _writable_folder(folder: Path, option: str, shown: Path) -> None:
    """``folder`` exists and is a folder: prove a file can be created in it (``os.access`` lies for
    root and on read-only mounts, a real file does not)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".fdconf-probe-", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"{option} {shown}: not writable ({reason} in {folder})",
                          f"choose a folder you can write to, or fix the permissions of {folder}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _nearest_existing(path: Path, option: str, shown: Path) -> Path:
    """The nearest existing ancestor of ``path`` (``path`` itself if it exists), which must be a folder."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise OutputError(f"{option} {shown}: {candidate} is a file, not a folder",
                                  "choose a path that is not inside a file")
            return candidate
    return Path(path.anchor)


def check_output_dir(path: str | Path, option: str, *, cwd: Path | None = None) -> Path:
    """The absolute folder ``path`` if a command can write into it (creating it if needed), else
    :class:`OutputError` naming ``option``. Creates nothing."""
    target = _absolute(path, cwd)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{option} {path}: is a file, not a folder",
                          "give a folder (it is created if missing), or remove the file")
    _writable_folder(_nearest_existing(target, option, Path(path)), option, Path(path))
    return target


def check_output_file(path: str | Path, option: str, *, cwd: Path | None = None) -> Path:
    """The absolute file ``path`` if a command can write it (replacing it if it exists), else
    :class:`OutputError` naming ``option``. Creates nothing."""
    target = _absolute(path, cwd)
    if target.is_dir():
        raise OutputError(f"{option} {path}: is a folder, not a file", "give a file name")
    if target.exists():
        if not os.access(target, os.W_OK):
            raise OutputError(f"{option} {path}: not writable", "choose another file, or fix its permissions")
        return target
    _writable_folder(_nearest_existing(target.parent, option, Path(path)), option, Path(path))
    return target


def previous_outputs(folder: Path) -> list[Path]:
    """The suite's own files and folders of an earlier run in ``folder`` (nothing else)."""
    names: Iterable[str] = (*SUITE_FILES, *SUITE_DIRS)
    return [folder / name for name in names if (folder / name).exists() or (folder / name).is_symlink()]


def prepare_report_dir(path: str | Path, option: str = "--report-dir", *, cwd: Path | None = None) -> Path:
    """Check ``path`` like :func:`check_output_dir`, then remove what an earlier run left in it (see the
    module docstring). Returns the absolute folder (created only later, by whoever writes first)."""
    target = check_output_dir(path, option, cwd=cwd)
    if target.is_dir():
        for leftover in previous_outputs(target):
            try:
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
            except OSError as exc:
                raise OutputError(f"{option} {path}: cannot remove the previous run's {leftover.name} "
                                  f"({exc.strerror or exc})",
                                  "remove it by hand, or choose another report folder") from None
    return target
