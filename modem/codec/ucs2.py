"""UCS-2 user data as phones really send it: UTF-16BE, surrogate pairs for what is beyond the BMP.

Nothing here passes a lone surrogate on: decoding and cleaning turn one into U+FFFD.
"""

from __future__ import annotations


def decode(body: bytes) -> str:
    """UTF-16BE octets -> text; pairs join into one code point, a lone surrogate is U+FFFD.

    ValueError for an odd number of octets.
    """
    if len(body) % 2:
        raise ValueError(f"UCS-2 user data has an odd number of octets ({len(body)})")
    return body.decode("utf-16-be", errors="replace")


def encode(text: str) -> bytes:
    """Text -> UTF-16BE octets (run ``clean`` first if it may hold lone surrogates)."""
    return text.encode("utf-16-be")


def clean(text: str) -> str:
    """Join surrogate pairs given as two code points; a lone surrogate becomes U+FFFD."""
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


def char_units(ch: str) -> int:
    """UTF-16 code units one character takes: 2 beyond the BMP (an emoji), else 1."""
    return 2 if ord(ch) > 0xFFFF else 1


def units(text: str) -> int:
    """UTF-16 code units the text takes (what the 70/67 limits count)."""
    return sum(char_units(ch) for ch in text)
