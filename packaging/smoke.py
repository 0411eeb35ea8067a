"""Launch a built TextDesk and check it: ``--self-test`` offscreen must exit 0 with a clean stderr.

Used by packaging/build.py --smoke, the packaging tests and the Windows CI workflow:
    python packaging/smoke.py dist/textdesk/textdesk
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# stderr lines that are not a problem (Qt chatter on machines without a desktop session).
HARMLESS = (
    "QStandardPaths: XDG_RUNTIME_DIR not set",
    "QStandardPaths: runtime directory",
    "propagateSizeHints() is not implemented",
    "This plugin does not support",
)


class SmokeFailure(AssertionError):
    pass


@dataclass
class SmokeResult:
    seconds: float
    stdout: str
    stderr: str


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_RUNTIME_DIR=str(home))
    env.pop("TEXTDESK_PROFILE", None)
    if sys.platform == "win32":
        env["LOCALAPPDATA"] = str(home)
        env["APPDATA"] = str(home)
    else:
        env["XDG_DATA_HOME"] = str(home / "data")
        env["XDG_STATE_HOME"] = str(home / "state")
        env["XDG_CONFIG_HOME"] = str(home / "config")
        env["XDG_CACHE_HOME"] = str(home / "cache")
    return env


def unexpected_stderr(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(HARMLESS)]


def run_smoke(executable: Path, *args: str, timeout: float = 180) -> SmokeResult:
    with tempfile.TemporaryDirectory(prefix="textdesk-smoke-") as home:
        start = time.monotonic()
        proc = subprocess.run(
            [str(executable), "--self-test", *args],
            env=clean_env(Path(home)),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SmokeFailure(
            f"--self-test exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    bad = unexpected_stderr(proc.stderr)
    if bad:
        raise SmokeFailure("unexpected stderr from --self-test:\n" + "\n".join(bad))
    return SmokeResult(seconds, proc.stdout, proc.stderr)


def main() -> int:
    exe = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("dist/textdesk/textdesk")
    try:
        result = run_smoke(exe)
    except SmokeFailure as exc:
        print(f"SMOKE TEST FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"smoke test passed in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
