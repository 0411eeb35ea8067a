"""Fixtures for the link suite: ``rig`` runs each test once per link kind (at, hilink, android);
``make_rig(kind, **options)`` builds more (closed after the test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.modem.links.rigs import KINDS, Rig


@pytest.fixture
def make_rig() -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(kind: str, **options: Any) -> Rig:
        rig = KINDS[kind](**options)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.close()


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
