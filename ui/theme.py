"""Colours that read on light and dark palettes, and small painting helpers."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QApplication

UNREAD = QColor("#1a73e8")
DELIVERED = QColor("#188038")
FAILED = QColor("#d93025")
UNCERTAIN = QColor("#e37400")
CALLBACK = QColor("#b06000")
APPOINTMENT = QColor("#8430ce")  # the customer asked to move an appointment
MUTED = QColor("#80868b")
# internal notes (staff only, never sent): sticky-note yellow, unlike any bubble
NOTE_BG = QColor("#fff4c2")
NOTE_EDGE = QColor("#b08800")
NOTE_TEXT = QColor("#3d2e00")


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def bubble_colors(outgoing: bool, palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """(background, text) for a message bubble."""
    dark = is_dark(palette)
    if outgoing:
        return (
            (QColor("#1f4a7a"), QColor("#ffffff"))
            if dark
            else (QColor("#d3e3fd"), QColor("#0b1e33"))
        )
    return (
        (QColor("#3c4043"), QColor("#f1f3f4")) if dark else (QColor("#f1f3f4"), QColor("#202124"))
    )


def pill(painter: QPainter, rect: QRectF, text: str, color: QColor, font: QFont) -> None:
    """A rounded label (unread badge, markers)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    radius = rect.height() / 2
    painter.drawRoundedRect(rect, radius, radius)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def small(font: QFont, factor: float = 0.85) -> QFont:
    f = QFont(font)
    size = f.pointSizeF()
    if size > 0:
        f.setPointSizeF(max(6.0, size * factor))
    else:
        f.setPixelSize(max(8, int(f.pixelSize() * factor)))
    return f


def bold(font: QFont) -> QFont:
    f = QFont(font)
    f.setBold(True)
    return f


# Colour emoji fonts, tried in turn for characters the text font lacks (else they show as empty
# boxes): Linux (the .deb depends on fonts-noto-color-emoji), Windows, macOS, then older ones.
EMOJI_FAMILIES = (
    "Noto Color Emoji",
    "Segoe UI Emoji",
    "Apple Color Emoji",
    "Segoe UI Symbol",
    "Twemoji Mozilla",
    "EmojiOne Color",
    "Noto Emoji",
)


def use_emoji_fonts(app: QApplication) -> QFont:
    """The app font with the system's colour emoji fonts as its fallbacks (QFont.setFamilies:
    the text family first), and the same as substitutions for fonts set by family name."""
    font = QFont(app.font())
    first = [f for f in font.families() or [font.family()] if f not in EMOJI_FAMILIES]
    font.setFamilies([*first, *EMOJI_FAMILIES])
    for family in first:
        QFont.insertSubstitutions(family, list(EMOJI_FAMILIES))
    app.setFont(font)
    return font
