"""Properties: encode -> decode round trips, plan/split/encode_submit agree, parts fit."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from modem.codec import gsm7, ucs2
from modem.codec.pdu import decode, encode_deliver, encode_submit, join, plan, split

GSM7_ALPHABET = gsm7.DEFAULT_ALPHABET.replace("\x1b", "") + "".join(gsm7.EXTENSION.values())
# Text that exercises both encodings, escapes and astral characters at part boundaries.
texts = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=GSM7_ALPHABET, max_size=700),
    st.text(alphabet="a€{😀ж", max_size=400),
    st.text(alphabet=st.characters(min_codepoint=0x10000), max_size=150),
)
# A leading "00" on a number without "+" means international, so the digits never start so.
numbers = st.tuples(
    st.sampled_from(["", "+", "00"]), st.from_regex(r"[0-9]{1,18}", fullmatch=True)
).filter(lambda n: not n[1].startswith("00"))
concat_refs = st.one_of(st.none(), st.integers(0, 0xFFFF))


def _units(text: str, encoding: str) -> int:
    if encoding == "gsm7":
        return gsm7.septet_length(text)
    return len(text.encode("utf-16-be")) // 2


@settings(max_examples=300, deadline=None)
@given(texts, numbers, concat_refs, st.booleans())
def test_submit_round_trip(
    text: str, number: tuple[str, str], concat_ref: int | None, srr: bool
) -> None:
    prefix, digits = number
    parts = encode_submit(prefix + digits, text, concat_ref=concat_ref, request_status_report=srr)
    bits = 16 if concat_ref is not None and concat_ref > 255 else 8
    encoding, segments = split(text, concat_bits=bits)
    assert [p.text for p in parts] == segments
    assert len(parts) == plan(text, concat_bits=bits).parts
    decoded = [decode(p.hex) for p in parts]
    assert "".join(d.text for d in decoded) == text
    for part, pdu in zip(parts, decoded, strict=True):
        assert pdu.kind == "submit"
        assert pdu.number == ("+" + digits if prefix else digits)
        assert pdu.encoding == encoding
        assert pdu.status_report_requested is srr
        assert part.tpdu_length * 2 == len(part.hex) - 2  # "00": the SIM's SMSC
        assert (
            (part.sequence, part.total) == (pdu.concat.sequence, pdu.concat.total)
            if (len(parts) > 1)
            else pdu.concat is None
        )
    if len(parts) > 1:
        assert len({(d.concat.reference, d.concat.bits) for d in decoded}) == 1
        if concat_ref is not None:
            assert decoded[0].concat.reference == concat_ref
            assert decoded[0].concat.bits == bits


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([8, 16]))
def test_plan_agrees_with_split(text: str, bits: int) -> None:
    result = plan(text, concat_bits=bits)
    encoding, segments = split(text, concat_bits=bits)
    assert "".join(segments) == text
    assert result.encoding == encoding
    assert result.parts == len(segments)
    assert result.units == _units(text, encoding)
    assert result.per_part - result.remaining == _units(segments[-1], encoding)
    assert all(_units(s, encoding) <= result.per_part for s in segments)
    assert all(s for s in segments[1:])  # no empty parts
    if result.parts > 1:
        # Greedy: no part could have taken the next part's first character.
        for seg, nxt in itertools.pairwise(segments):
            assert _units(seg + nxt[0], encoding) > result.per_part
    assert (encoding == "gsm7") == gsm7.is_gsm7(text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_parts_fit_in_140_octets(text: str) -> None:
    for part in encode_submit("+15551234567", text):
        tpdu = bytes.fromhex(part.hex)[1:]
        # first, MR, DA (2 + 6), PID, DCS, VP, UDL: 14 octets, then at most 140 of user data.
        assert len(tpdu) - 14 <= 140


senders = st.one_of(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz &€{", min_size=1, max_size=7
    ).filter(lambda s: gsm7.septet_length(s) <= 11 and not s.strip(" ").isdigit()),
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
)
stamps = st.builds(
    lambda dt, q: dt.replace(tzinfo=timezone(timedelta(minutes=15 * q))),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    st.integers(-48, 56),
)


@settings(max_examples=200, deadline=None)
@given(senders, texts, stamps, concat_refs)
def test_deliver_round_trip_and_reassembly(
    sender: str, text: str, when: datetime, concat_ref: int | None
) -> None:
    parts = [decode(h) for h in encode_deliver(sender, text, timestamp=when, concat_ref=concat_ref)]
    assert all(p.number == sender for p in parts)
    assert all(p.timestamp == when.replace(microsecond=0) for p in parts)
    # Reassemble the way a receiver does: by concat sequence, whatever order they arrive in.
    ordered = sorted(reversed(parts), key=lambda p: p.concat.sequence if p.concat else 1)
    assert "".join(p.text for p in ordered) == text
    assert join(parts) == text
    if len(parts) > 1:
        assert [p.concat.sequence for p in ordered] == list(range(1, len(parts) + 1))


def test_naive_and_utc_stamps_agree() -> None:
    naive = datetime(2026, 3, 29, 1, 30)
    assert decode(encode_deliver("+1555", "x", timestamp=naive)[0]).timestamp == naive.replace(
        tzinfo=UTC
    )


with_surrogates = st.lists(
    st.one_of(st.integers(0xD800, 0xDFFF), st.integers(0x20, 0x7E), st.integers(0x10000, 0x10FFFF)),
    max_size=120,
).map(lambda codes: "".join(map(chr, codes)))


@settings(max_examples=200, deadline=None)
@given(with_surrogates)
def test_lone_surrogates_never_reach_the_wire_or_the_reader(text: str) -> None:
    cleaned = ucs2.clean(text)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned)
    parts = encode_submit("+15551234567", text)
    assert len(parts) == plan(text).parts
    decoded = "".join(decode(p.hex).text for p in parts)
    assert decoded == cleaned == "".join(p.text for p in parts)
