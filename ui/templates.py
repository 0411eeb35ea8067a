"""Template placeholders in the composer: the core's renderer (``desk.messaging.placeholders``),
so a template reads the same here as in a reminder or a consent reply.

``Context`` holds the values the composer knows ({first_name} {name} {shop} {signature}); any
other placeholder ({date}, {item}) stays in the text for staff to fill in.
"""

from __future__ import annotations

from desk.messaging import placeholders

Context = placeholders.Values


def expand(body: str, ctx: Context) -> str:
    """``body`` with the composer's placeholders filled (empty ones by the core's rule)."""
    return placeholders.render(
        body,
        Context(
            first_name=ctx.first_name or "",
            name=ctx.name or "",
            shop=ctx.shop or "",
            signature=ctx.signature or "",
            service=ctx.service,
            date=ctx.date,
            time=ctx.time,
        ),
    )


def unfilled(text: str) -> list[str]:
    """Placeholders still in the text (like {item}) that staff must fill in before sending."""
    return placeholders.fields_in(text)
