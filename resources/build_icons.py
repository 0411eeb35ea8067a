"""Regenerate the bitmap app icons (PNG, ICO) from textdesk.svg and the notification sound.

    .venv/bin/python resources/build_icons.py

Nothing here is downloaded: the icons are drawn in SVG by hand and the sound is synthesised.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build_icons() -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(HERE / "textdesk.svg"))
    if not renderer.isValid():
        raise SystemExit("textdesk.svg is not valid SVG")
    out: list[Path] = []
    images = {}
    for size in (16, 32, 48, 64, 128, 256):
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p)
        p.end()
        images[size] = img
        if size in (64, 256):
            path = HERE / f"textdesk-{size}.png"
            img.save(str(path))
            out.append(path)
    ico = HERE / "textdesk.ico"
    if images[256].save(str(ico), "ICO"):
        out.append(ico)
    return out


def build_sound(path: Path = HERE / "notify.wav") -> Path:
    """A soft two-note chime, 0.35 s, 16-bit mono 22 kHz."""
    rate = 22050
    frames = bytearray()
    total = int(rate * 0.35)
    for n in range(total):
        t = n / rate
        v = 0.0
        for freq, start, length in ((880.0, 0.0, 0.18), (1318.5, 0.12, 0.23)):
            if start <= t < start + length:
                local = t - start
                env = math.exp(-local * 14) * min(1.0, local * 400)
                v += 0.35 * env * math.sin(2 * math.pi * freq * local)
        frames += struct.pack("<h", int(max(-1.0, min(1.0, v)) * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


if __name__ == "__main__":
    for p in [*build_icons(), build_sound()]:
        print(p.relative_to(HERE.parent))
