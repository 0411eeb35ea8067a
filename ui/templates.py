"""Template placeholders: {first_name} {name} {shop} {signature}. Unknown ones stay for staff."""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
KNOWN = ("first_name", "name", "shop", "signature")


@dataclass(frozen=True)
class Context:
    first_name: str = ""
    name: str = ""
    shop: str = ""
    signature: str = ""


def expand(body: str, ctx: Context) -> str:
    values = {
        "first_name": ctx.first_name or "there",
        "name": ctx.name or "there",
        "shop": ctx.shop,
        "signature": ctx.signature,
    }

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        return values[key] if key in values else match.group(0)

    text = PLACEHOLDER.sub(sub, body)
    return re.sub(r"[ \t]+$", "", re.sub(r" {2,}", " ", text), flags=re.M).strip()


def unfilled(text: str) -> list[str]:
    """Placeholders still in the text (like {item}) that staff must fill in before sending."""
    return [f"{{{k}}}" for k in PLACEHOLDER.findall(text)]
