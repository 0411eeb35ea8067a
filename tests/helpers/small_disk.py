"""A small real filesystem for disk-full tests: a tmpfs of a few MB mounted for one test.

``small_disk(path)`` mounts it (root only; the test is skipped with the reason when the mount is
refused) and unmounts it afterwards; ``fill(dir)`` writes a filler file until the filesystem
says it is full and returns it (delete it to give the space back). The fault run (bench/faults.py,
bench/fault_desk.py) uses the same ``mount_small`` / ``unmount`` / ``fill``."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = "filler.bin"


def mount_small(path: Path, size: str = "4m") -> str | None:
    """Mount a tmpfs of ``size`` at ``path``; None when mounted, else why not (plain words)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return (
        None if done.returncode == 0 else (done.stderr.strip() or f"mount exit {done.returncode}")
    )


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    why = mount_small(path, size)
    if why is not None:
        pytest.skip(f"cannot mount a {size} tmpfs here: {why}")
    try:
        yield path
    finally:
        unmount(path)


def fill(directory: Path) -> Path:
    """Write a filler file until the filesystem is full; returns it."""
    target = directory / FILLER
    chunk = b"\0" * 65536
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    return target


def free_bytes(directory: Path) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize
