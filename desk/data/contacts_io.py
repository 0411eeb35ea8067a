"""Contacts in and out: CSV and vCard 3.0/4.0 (.vcf, what phones and Google Contacts export).

``read(data, country=...)`` never raises on a bad entry and changes nothing: every entry ends up
either in ``Preview.entries`` (with the normalised number it will be merged under) or in
``Preview.rejected`` with its place in the file and the reason in plain words. A file that cannot
be read at all (not text, not CSV or vCard, too big) raises ``ContactsFileError`` with one sentence.
``ImportJob(preview)`` then merges on the engine's writer thread (``Engine.run_job``) in short
steps of one transaction each (``apply`` runs it without an engine): one contact per normalised
number, a name only filled in where the contact has none (a name staff typed is never
overwritten), tags from the file's groups added.
``export_vcard()`` writes every contact as vCard 3.0 (the version every phone reads).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import vobject

from desk.base import phones
from desk.base.clock import Clock, to_db
from desk.reminders import csv_parse
from desk.store import audit
from desk.store.bulk import BulkJob, JobStatus
from desk.store.models import Contact

MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 200_000
_TAG = re.compile(r"[^\w\- ]+")
_NAME_HEADERS = {"name", "fullname", "displayname", "contact", "customer", "client", "patient"}
_FIRST = {"firstname", "givenname", "first"}
_LAST = {"lastname", "familyname", "surname", "last"}
_PHONE = re.compile(
    r"^(phone|mobile|cell|tel|telephone|number|phonenumber|mobilephone|phone\d*value)"
)
_TAGS = {"tags", "groups", "group", "groupmembership", "labels", "categories"}


class ContactsFileError(ValueError):
    """The file as a whole cannot be read; the message is one plain sentence."""


@dataclass(frozen=True)
class Entry:
    where: str  # "line 5", "card 3"
    name: str
    number: str  # normalised (E.164)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    where: str
    reason: str


@dataclass
class Preview:
    kind: str  # "csv" or "vcard"
    entries: list[Entry] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return len({e.number for e in self.entries})


def _tags(text: str) -> tuple[str, ...]:
    parts = re.split(r"[,;:]| ::: ", text)
    found = []
    for part in parts:
        tag = _TAG.sub("", part).strip().lower()
        if tag and tag not in ("mycontacts", "starred", "my contacts") and tag not in found:
            found.append(tag)
    return tuple(found)


def _number(raw: str, country: str) -> str:
    """The normalised number, or ValueError with the plain reason."""
    if phones.is_alphanumeric(raw.strip()):
        raise ValueError(f"“{raw.strip()}” is not a phone number")
    return phones.normalize(raw, country)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ContactsFileError(
            f"The file is too big ({len(data) // (1024 * 1024)} MB; at most "
            f"{MAX_BYTES // (1024 * 1024)} MB): split it and import the parts."
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContactsFileError("This is not a text file (CSV or vCard): nothing was imported.")
    text, _encoding = csv_parse.decode(data)
    return text


def read(data: bytes, *, country: str) -> Preview:
    """A preview of what importing ``data`` (CSV or vCard) would do; the database is untouched."""
    text = _decode(data)
    if re.search(r"^\s*BEGIN:VCARD", text[:4096], re.IGNORECASE | re.MULTILINE):
        preview = _read_vcards(text, country)
    else:
        preview = _read_csv(text, country)
    if len(preview.entries) + len(preview.rejected) > MAX_ENTRIES:
        raise ContactsFileError(
            f"The file holds more than {MAX_ENTRIES:,} contacts: split it and import the parts."
        )
    if not preview.entries and not preview.rejected:
        raise ContactsFileError("No contacts found in this file: nothing was imported.")
    return preview


# --- vCard --------------------------------------------------------------------------------------


def _cards(text: str) -> Iterator[tuple[int, str]]:
    """(card number, the card's text) for each BEGIN:VCARD ... END:VCARD block, so a broken card
    never hides the ones after it."""
    block: list[str] = []
    count = 0
    for line in text.splitlines():
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if block:  # an earlier card never ended: hand it over as it is
                yield count, "\n".join(block)
            count += 1
            block = [line.strip()]
        elif block:
            block.append(line)
            if upper == "END:VCARD":
                yield count, "\n".join(block)
                block = []
    if block:
        yield count, "\n".join(block)


def _read_vcards(text: str, country: str) -> Preview:
    preview = Preview("vcard")
    for n, card_text in _cards(text):
        where = f"card {n}"
        try:
            card = vobject.readOne(card_text, ignoreUnreadable=True)
        except Exception as exc:  # vobject raises ParseError, ValueError, AttributeError...
            preview.rejected.append(Rejected(where, f"the card cannot be read ({_short(exc)})"))
            continue
        name = _card_name(card)
        tels = [str(t.value) for t in card.contents.get("tel", []) if str(t.value).strip()]
        if not tels:
            preview.rejected.append(Rejected(where, f"{name or 'the card'} has no phone number"))
            continue
        tags = _tags(",".join(",".join(c.value) for c in card.contents.get("categories", [])))
        for tel in tels:
            raw = tel.removeprefix("tel:")
            try:
                number = _number(raw, country)
            except ValueError as exc:
                preview.rejected.append(Rejected(where, f"{name or 'no name'}: {exc}"))
                continue
            preview.entries.append(Entry(where, name, number, tags))
    return preview


def _card_name(card: object) -> str:
    contents = getattr(card, "contents", {})
    fn = contents.get("fn")
    if fn and str(fn[0].value).strip():
        return " ".join(str(fn[0].value).split())[:100]
    n = contents.get("n")
    if n:
        value = n[0].value
        parts = [getattr(value, "given", ""), getattr(value, "family", "")]
        return " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts).strip()[:100]
    return ""


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:80]


# --- CSV ----------------------------------------------------------------------------------------


def _columns(cells: list[str]) -> dict[str, list[int]] | None:
    found: dict[str, list[int]] = {"name": [], "first": [], "last": [], "phone": [], "tags": []}
    for i, cell in enumerate(cells):
        key = re.sub(r"[^a-z0-9]", "", cell.lower())
        if key in _NAME_HEADERS:
            found["name"].append(i)
        elif key in _FIRST:
            found["first"].append(i)
        elif key in _LAST:
            found["last"].append(i)
        elif _PHONE.match(key) and "type" not in key and "label" not in key:
            found["phone"].append(i)
        elif key in _TAGS:
            found["tags"].append(i)
    return found if found["phone"] else None


def _looks_like_number(cell: str) -> bool:
    """Seven digits or more: no header cell has them, a phone number does."""
    return sum(ch.isdigit() for ch in cell) >= 7


def _read_csv(text: str, country: str) -> Preview:
    preview = Preview("csv")
    delimiter = csv_parse.sniff_delimiter(text)
    columns: dict[str, list[int]] | None = None
    rows = csv_parse.records(text, delimiter, [0], lambda cells: len(cells) >= 2)
    for line, cells in rows:
        where = f"line {line}"
        if isinstance(cells, str):
            preview.rejected.append(Rejected(where, cells))
            continue
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            columns = _columns(cells)
            if columns is not None and not any(_looks_like_number(c) for c in cells):
                continue  # the header row (a row holding a phone number is a contact)
            columns = {"name": [0], "first": [], "last": [], "phone": [1], "tags": [2]}
        _csv_entry(preview, where, cells, columns, country)
    return preview


def _csv_entry(
    preview: Preview, where: str, cells: list[str], columns: dict[str, list[int]], country: str
) -> None:
    def cell(i: int) -> str:
        return cells[i].strip() if i < len(cells) else ""

    name = " ".join(cell(i) for i in columns["name"] if cell(i))
    if not name:
        name = " ".join(cell(i) for i in columns["first"] + columns["last"] if cell(i))
    name = " ".join(name.split())[:100]
    tags = _tags(",".join(cell(i) for i in columns["tags"]))
    raws = [r for i in columns["phone"] for r in re.split(r" ::: |;", cell(i)) if r.strip()]
    if not raws:
        preview.rejected.append(Rejected(where, f"{name or 'the row'} has no phone number"))
        return
    for raw in raws:
        try:
            preview.entries.append(Entry(where, name, _number(raw, country), tags))
        except ValueError as exc:
            preview.rejected.append(Rejected(where, f"{name or 'no name'}: {exc}"))


# --- merging and export -------------------------------------------------------------------------


@dataclass
class Applied:
    added: int = 0
    named: int = 0
    tagged: int = 0
    unchanged: int = 0


def _merged(preview: Preview) -> list[Entry]:
    """One entry per number: the first name found, every tag."""
    merged: dict[str, Entry] = {}
    for entry in preview.entries:
        before = merged.get(entry.number)
        if before is None:
            merged[entry.number] = entry
        else:
            tags = before.tags + tuple(t for t in entry.tags if t not in before.tags)
            merged[entry.number] = Entry(
                before.where, before.name or entry.name, entry.number, tags
            )
    return list(merged.values())


class ImportJob(BulkJob[Applied]):
    """Merging a preview's contacts in short steps (desk.store.bulk): the engine stores incoming
    texts between them, the window shows progress, Cancel keeps what was merged (importing the
    file again merges only the rest)."""

    def __init__(
        self, preview: Preview, *, clock: Clock, staff: str | None = None, **kwargs: Any
    ) -> None:
        self.items = _merged(preview)
        super().__init__("importing contacts", len(self.items), **kwargs)
        self.preview, self.clock, self.applied = preview, clock, Applied()
        self.staff = staff  # who imported them, on the audit line (None: nobody known)

    def advance(self, deadline: float) -> bool:
        while self.done < len(self.items):
            _merge(self.items[self.done], self.applied, self.clock)
            self.done += 1
            if self.monotonic() >= deadline:
                break
        if self.done < len(self.items):
            return False
        a = self.applied
        audit.record(
            "imported",
            f"contacts from {self.preview.kind}: {a.added} added, {a.named} named, "
            f"{a.tagged} tagged, {len(self.preview.rejected)} rejected",
            self.staff,
            clock=self.clock,
        )
        return True

    def result(self) -> Applied:
        return self.applied


def apply(
    preview: Preview,
    *,
    clock: Clock,
    staff: str | None = None,
    on_status: Callable[[JobStatus], None] | None = None,
) -> Applied:
    """Merge the preview's entries by number in short steps, without an engine (the command
    line): ``ImportJob(...).run()``; ``staff`` is who imported them, on the audit line."""
    return ImportJob(preview, clock=clock, staff=staff, on_status=on_status).run()


def _merge(entry: Entry, result: Applied, clock: Clock) -> None:
    contact: Contact | None = Contact.get_or_none(Contact.number == entry.number)
    if contact is None:
        Contact.create(
            number=entry.number,
            name=entry.name or None,
            tags=",".join(entry.tags),
            created_at=to_db(clock.now()),
        )
        result.added += 1
        return
    changed = False
    if entry.name and not contact.name:
        contact.name = entry.name
        result.named += 1
        changed = True
    tags = contact.tag_list
    new = [t for t in entry.tags if t not in tags]
    if new:
        contact.tags = ",".join([*tags, *new])
        result.tagged += 1
        changed = True
    if changed:
        contact.save()
    else:
        result.unchanged += 1


def export_vcard() -> str:
    """Every contact as vCard 3.0, in number order (erased customers are gone from the table)."""
    out: list[str] = []
    for contact in Contact.select().order_by(Contact.number):
        if not contact.number.startswith("+"):
            continue  # an alphanumeric sender is not a contact a phone can call
        card = vobject.vCard()
        card.add("fn").value = contact.name or contact.number
        card.add("n").value = vobject.vcard.Name(given=contact.name or "")
        tel = card.add("tel")
        tel.value = contact.number
        tel.type_param = "CELL"
        if contact.tag_list:
            card.add("categories").value = contact.tag_list
        if contact.notes:
            card.add("note").value = contact.notes
        out.append(card.serialize())
    return "".join(out)
