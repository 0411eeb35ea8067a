"""desk.base.logs when the log file cannot be written: one plain line on stderr and a status the
window can show (``logs.trouble()`` / ``logs.watch``), never a traceback per record; said once
more when writing works again. On a real full filesystem (a small tmpfs) and with a stream that
fails with ENOSPC."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base import logs
from desk.base.paths import Profile
from tests.helpers.small_disk import fill, small_disk


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    logs._trouble = None
    yield root
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            try:
                handler.close()
            except OSError:  # the full disk may refuse the last flush too
                pass
    root.setLevel(level)
    logs._trouble = None


def file_handler(root: logging.Logger) -> logs.QuietFileHandler:
    (handler,) = [h for h in root.handlers if h.name == "textdesk.file"]
    assert isinstance(handler, logs.QuietFileHandler)
    return handler


class FullDisk:
    """A stream that fails as a full disk does."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        pass

    def seek(self, offset: int, whence: int = 0) -> int:  # the rotating handler's size check
        return 0

    def tell(self) -> int:
        return 0


def test_a_failing_log_stream_is_said_once_not_a_traceback_per_record(
    tmp_path: Path, root: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = Profile(data_dir=tmp_path, log_dir=tmp_path / "logs", backup_dir=tmp_path / "b")
    logs.configure(profile)
    handler = file_handler(root)
    seen: list[str | None] = []
    unwatch = logs.watch(seen.append)
    working = handler.stream
    handler.stream = FullDisk()  # type: ignore[assignment]
    log = logging.getLogger("desk.test")
    for i in range(50):
        log.warning("record %d while the disk is full", i)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Logging error" not in err
    assert err.count("\n") == 1, err
    assert "cannot write its log file" in err and "the disk is full" in err
    assert str(profile.log_path) in err
    assert logs.trouble() is not None and "the disk is full" in logs.trouble()  # type: ignore[operator]
    assert seen == [logs.trouble()]

    handler.stream = working
    log.warning("space again")
    log.warning("and again")
    handler.flush()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "can write its log file again" in err, err
    assert logs.trouble() is None and seen[-1] is None and len(seen) == 2
    text = profile.log_path.read_text(encoding="utf-8")
    assert "space again" in text and "and again" in text
    unwatch()


def test_a_full_small_filesystem_is_said_once_and_logging_resumes(
    tmp_path: Path, root: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "disk", size="1m") as disk:
        profile = Profile(data_dir=disk, log_dir=disk / "logs", backup_dir=disk / "b")
        logs.configure(profile)
        log = logging.getLogger("desk.test")
        log.warning("before the disk filled")
        filler = fill(disk)
        for i in range(200):
            log.warning("record %d: %s", i, "x" * 200)
        err = capsys.readouterr().err
        assert "Traceback" not in err and "Logging error" not in err
        assert err.count("\n") == 1, err[:2000]
        assert "the disk is full" in err
        assert logs.trouble() is not None

        filler.unlink()
        log.warning("after space came back")
        file_handler(root).flush()
        err = capsys.readouterr().err
        assert "can write its log file again" in err and "Traceback" not in err
        assert logs.trouble() is None
        text = profile.log_path.read_text(encoding="utf-8", errors="replace")
        assert "before the disk filled" in text and "after space came back" in text
