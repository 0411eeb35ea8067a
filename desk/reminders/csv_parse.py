"""Reading appointment lists (CSV), tolerant of what booking systems export; no database.

``parse(data, ...)`` never raises on bad input: every data row ends up either in ``rows``
(accepted, with the appointment it will create) or in ``rejected`` with a reason in plain words
(bad number, missing field, date not understood, date in the past, duplicate of another line).
A broken row never stops the others, and every row is judged on its own: a quote left open
is reported on the line it opened on, and the lines after it are read as rows of their own.

Understood:
- encodings utf-8 (with or without BOM), utf-16 with BOM (Excel "Unicode text"), cp1252;
- delimiters , ; and tab; a header row or none (then: name, phone, date, time, note, service;
  with three columns: name, phone, date-and-time);
- header names: Name/Customer/Patient/Client (or First name + Last name), Phone/Mobile/Cell/Tel,
  Date, Time, a combined Date/Time (Start, When, Appointment…), Service/Treatment/Type, Note…;
- dates 2026-12-01, 2026/12/01, 12/01/2026 (month first in the US and Canada, day first
  elsewhere; unambiguous ones like 25/12/2026 either way), 01.12.2026, 1 Dec 2026, Dec 1, 2026,
  Tuesday 1 December 2026, 01-Dec-26; times 09:30, 9:30 AM, 9.30pm, 0930, 9am, 21h30;
  combined "2026-12-01 09:30", "2026-12-01T09:30:00", "12/01/2026 9:30 AM".

Each row carries its ``Appointment.source_key`` (hash of the normalised number and the start), so
``desk.reminders.csv_import`` can show and skip what was imported before.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from desk.base import phones
from desk.reminders.appointments import source_key
from desk.reminders.recurrence import to_utc

MONTH_FIRST_COUNTRIES = frozenset({"US", "CA", "PH", "BZ", "FM", "MH", "PW"})

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "customer", "customername", "patient", "patientname", "client", "clientname",
        "fullname", "contact", "contactname", "guest", "member",
    ),
    "first_name": ("firstname", "first", "givenname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname"),
    "phone": (
        "phone", "mobile", "cell", "cellphone", "mobilephone", "phonenumber", "telephone", "tel",
        "number", "mobilenumber", "cellnumber", "contactnumber", "sms", "mobileno", "phoneno",
    ),
    "date": ("date", "appointmentdate", "apptdate", "day", "visitdate", "bookingdate"),
    "time": ("time", "appointmenttime", "appttime", "starttime", "visittime", "bookingtime"),
    "datetime": (
        "datetime", "datetimestart", "appointment", "appt", "start", "starts", "startsat",
        "when", "appointmentdatetime", "startdatetime", "startdate", "scheduled", "booking",
    ),
    "service": (
        "service", "treatment", "type", "appointmenttype", "procedure", "reason", "servicename",
    ),
    "note": ("note", "notes", "comment", "comments", "remarks", "memo", "description"),
}  # fmt: skip
_LOOKUP = {alias: key for key, aliases in COLUMN_NAMES.items() for alias in aliases}
POSITIONAL = ("name", "phone", "date", "time", "note", "service")
POSITIONAL_3 = ("name", "phone", "datetime")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Row:
    """An accepted row: the appointment it will create."""

    line: int
    name: str
    phone: str  # E.164
    starts_at: datetime  # aware UTC
    service: str = ""
    note: str = ""
    key: str = ""
    exists: bool = False  # imported before: nothing new will be created


@dataclass
class Rejected:
    line: int
    reason: str
    raw: str = ""


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: tuple[str, ...] = ()

    @property
    def new_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.exists]

    @property
    def existing(self) -> int:
        return sum(1 for r in self.rows if r.exists)


class FieldError(ValueError):
    pass


# --- decoding -----------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Never fails: cp1252, then latin-1 as the last resort."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


_QUOTED = re.compile(r'"(?:[^"]|"")*"')  # a quoted cell: what is inside it is text, not delimiters


def sniff_delimiter(text: str) -> str:
    """The delimiter used most on the first lines that have one, outside quoted cells (a name
    "Smith; John" is one cell of a comma file); comma when none, and on a tie."""
    totals = {",": 0, ";": 0, "\t": 0}  # max() keeps the first of equals: comma wins a tie
    seen = 0
    for line in text.splitlines():
        bare = _QUOTED.sub("", line)
        counts = {d: bare.count(d) for d in totals}
        if any(counts.values()):
            for d, n in counts.items():
                totals[d] += n
            seen += 1
            if seen >= 5:
                break
    best = max(totals, key=lambda d: totals[d])
    return best if totals[best] else ","


# --- fields -------------------------------------------------------------------------------------


def _norm_header(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.lower())


def header_columns(cells: list[str]) -> tuple[str, ...] | None:
    """The meaning of each column if ``cells`` is a header row, else None."""
    keys = tuple(_LOOKUP.get(_norm_header(c), "") for c in cells)
    known = {k for k in keys if k}
    has_phone = "phone" in known
    has_when = "datetime" in known or "date" in known
    if (has_phone and has_when) or len(known) >= 3:
        return keys
    return None


_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:\s*[:.h]\s*(?P<m>\d{2})(?:[:.](?P<s>\d{2}))?)?\s*"
    r"(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?|a|p)?$"
)


def parse_time(text: str) -> time:
    value = text.strip().lower().replace("\u202f", " ").replace("\u00a0", " ")
    if value in ("noon", "midday"):
        return time(12, 0)
    if re.fullmatch(r"\d{3,4}", value):  # 0930, 930
        value = value.zfill(4)
        hour, minute = int(value[:2]), int(value[2:])
        if hour > 23 or minute > 59:
            raise FieldError(f"time “{text}” not understood")
        return time(hour, minute)
    m = _TIME.match(value)
    if not m:
        raise FieldError(f"time “{text}” not understood")
    hour = int(m["h"])
    minute = int(m["m"] or 0)
    ampm = (m["ampm"] or "").replace(".", "").replace(" ", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise FieldError(f"time “{text}” not understood")
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    elif m["m"] is None and "h" not in value:
        # A bare "9" is too easy to misread (a count, a room number): ask for 9:00 or 9am.
        raise FieldError(f"time “{text}” not understood (write 9:00 or 9am)")
    if hour > 23 or minute > 59:
        raise FieldError(f"time “{text}” not understood")
    return time(hour, minute)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year
    if len(text) != 4:
        raise ValueError(text)
    return year


def parse_date(text: str, *, country: str = "US") -> date:
    raw = text
    value = text.strip().lower().replace(",", " ")
    if not value:
        raise FieldError("date missing")
    try:
        m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})", value)
        if m:
            a, sep, b, year = int(m[1]), m[2], int(m[3]), _year(m[4])
            if a > 12:
                day, month = a, b
            elif b > 12:
                month, day = a, b
            elif sep == "." or country not in MONTH_FIRST_COUNTRIES:
                day, month = a, b
            else:
                month, day = a, b
            return date(year, month, day)
        if re.fullmatch(r"\d{8}", value):  # 20261201
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        words = [w for w in re.split(r"[\s\-/.]+", value) if w]
        words = [w for w in words if w[:3] not in WEEKDAYS and w not in ("the", "of")]
        named: int | None = None
        numbers: list[str] = []
        for w in words:
            if w[:3] in MONTHS and w.isalpha() and named is None:
                named = MONTHS.index(w[:3]) + 1
            else:
                digits = re.fullmatch(r"(\d{1,4})(?:st|nd|rd|th)?", w)
                if not digits:
                    raise ValueError(w)
                numbers.append(digits[1])
        if named is None or len(numbers) != 2:
            raise ValueError(value)
        if len(numbers[0]) == 4:  # 2026 Dec 1
            year, day = int(numbers[0]), int(numbers[1])
        else:  # 1 Dec 2026, Dec 1 2026, 01-Dec-26
            day, year = int(numbers[0]), _year(numbers[1])
        return date(year, named, day)
    except (ValueError, TypeError):
        raise FieldError(f"date “{raw}” not understood") from None


_TRAILING_TIME = re.compile(
    r"(?:\s+|T|,\s*|\s+at\s+)"
    r"(\d{1,2}(?:[:.]\d{2}(?:[:.]\d{2})?)?\s*(?:[ap]\.?\s?m\.?)?|\d{1,2}h\d{0,2})$",
    re.IGNORECASE,
)
_ISO_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$",
    re.IGNORECASE,
)


def parse_datetime(text: str, *, country: str, tz: ZoneInfo) -> datetime:
    """A combined date-and-time cell -> aware UTC (local time of the shop unless it says)."""
    value = text.strip()
    if _ISO_OFFSET.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
            return parsed.astimezone(UTC)
        except ValueError:
            raise FieldError(f"date and time “{text}” not understood") from None
    m = _TRAILING_TIME.search(value)
    if not m:
        raise FieldError(f"date and time “{text}” not understood (no time)")
    when = parse_time(m[1])
    day = parse_date(value[: m.start()].strip().rstrip(","), country=country)
    return to_utc(datetime.combine(day, when), tz)


# --- parsing the file ---------------------------------------------------------------------------


QUOTE_OPEN = 'a quote (") opened on this line is never closed; the row was not read'
MAX_RECORD_LINES = 50  # a quoted cell may hold line breaks (a note), but not more than this
_FIELD_LIMIT = csv.field_size_limit()


def _read_record(lines: list[str], start: int, delimiter: str, span: int) -> tuple[list[str], int]:
    """The record that begins at ``lines[start]``, read from at most ``span`` lines: (cells,
    lines it took), or ([], 0) when a quote opened in it is still open after them. csv.Error
    (a cell over the field limit) propagates."""
    line = lines[start]
    if '"' not in line:  # the usual case, and no csv rules to apply
        cells = line.rstrip("\r\n").split(delimiter)
        if any(len(c) > _FIELD_LIMIT for c in cells):
            raise csv.Error(f"field larger than field limit ({_FIELD_LIMIT})")
        return cells, 1
    window = lines[start : start + span]
    # A blank line after the window: a record still open at the end swallows it too.
    reader = csv.reader(itertools.chain(window, ["\n"]), delimiter=delimiter, strict=False)
    cells = next(reader, [])
    if reader.line_num > len(window):
        return [], 0
    return cells, reader.line_num


def records(
    text: str,
    delimiter: str,
    counter: list[int],
    stands_alone: Callable[[list[str]], bool],
) -> Iterator[tuple[int, list[str] | str]]:
    """(line number, cells) per record, or (line number, reason) for one that cannot be read.

    Every row is judged on its own: a quote left open is reported on the line it opened on and
    reading goes on with the next line. Left open means: never closed within
    ``MAX_RECORD_LINES`` lines, or closed only after a line that is a good row by itself
    (``stands_alone``), which a cell's line break never is. A record spanning lines (a quoted
    note with a line break) is numbered by its last line."""
    lines = io.StringIO(text, newline="").readlines()
    i = 0
    while i < len(lines):
        try:
            cells, used = _read_record(lines, i, delimiter, MAX_RECORD_LINES)
        except csv.Error as exc:
            counter[0] += len(lines[i])
            yield i + 1, f"row not readable ({exc})"
            i += 1
            continue
        if used > 1 and any(
            _whole_row(lines, j, delimiter, stands_alone) for j in range(i + 1, i + used)
        ):
            used = 0
        if used == 0:
            counter[0] += len(lines[i])
            yield i + 1, QUOTE_OPEN
            i += 1
            continue
        counter[0] += sum(len(line) for line in lines[i : i + used])
        yield i + used, cells
        i += used


def _whole_row(
    lines: list[str], index: int, delimiter: str, stands_alone: Callable[[list[str]], bool]
) -> bool:
    """Whether ``lines[index]`` read by itself is a complete, good row."""
    try:
        cells, used = _read_record(lines, index, delimiter, 1)
    except csv.Error:
        return False
    return used == 1 and stands_alone(cells)


def parse(
    data: bytes | str,
    *,
    country: str,
    tz: ZoneInfo,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> Preview:
    """Read a whole file. Never raises for bad content."""
    if isinstance(data, bytes):
        text, encoding = decode(data)
    else:
        text, encoding = data, "text"
    text = text.replace("\x00", "")
    delimiter = sniff_delimiter(text)
    preview = Preview(encoding=encoding, delimiter=delimiter)
    counter = [0]
    total = max(1, len(text))
    columns: tuple[str, ...] | None = None
    seen: dict[str, int] = {}

    def stands_alone(cells: list[str]) -> bool:
        """A good row by itself, under the columns known so far (for a quote left open)."""
        if not any(c.strip() for c in cells):
            return False
        cols = columns
        if cols is None:
            if header_columns(cells) is not None:
                return False
            cols = POSITIONAL_3 if len(cells) == 3 else POSITIONAL
        try:
            _row(0, cells, cols, country=country, tz=tz, now=now)
        except Exception:  # not a row: any reason will do
            return False
        return True

    for n, (line, cells) in enumerate(records(text, delimiter, counter, stands_alone)):
        if progress is not None and n % 250 == 0:
            progress(counter[0], total)
        if isinstance(cells, str):
            preview.rejected.append(Rejected(line, cells))
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line is not a row
        if columns is None:
            header = header_columns(cells)
            if header is not None:
                columns = header
                preview.columns = header
                continue
            columns = POSITIONAL_3 if len(cells) == 3 else POSITIONAL
            preview.columns = columns
        raw = delimiter.join(cells)
        try:
            row = _row(line, cells, columns, country=country, tz=tz, now=now)
        except FieldError as exc:
            preview.rejected.append(Rejected(line, str(exc), raw[:200]))
            continue
        except Exception as exc:  # anything unforeseen: this row only, never the file
            preview.rejected.append(Rejected(line, f"row not understood ({exc})", raw[:200]))
            continue
        if row.key in seen:
            preview.rejected.append(
                Rejected(line, f"same phone and time as line {seen[row.key]}", raw[:200])
            )
            continue
        seen[row.key] = line
        preview.rows.append(row)
    if progress is not None:
        progress(total, total)
    return preview


def _row(
    line: int,
    cells: list[str],
    columns: tuple[str, ...],
    *,
    country: str,
    tz: ZoneInfo,
    now: datetime,
) -> Row:
    values: dict[str, str] = {}
    for key, cell in zip(columns, cells, strict=False):
        if key and cell.strip() and key not in values:
            values[key] = " ".join(cell.split())
    name = values.get("name") or " ".join(
        v for v in (values.get("first_name"), values.get("last_name")) if v
    )
    missing = [
        label
        for label, ok in (
            ("name", bool(name)),
            ("phone", "phone" in values),
            ("date", "date" in values or "datetime" in values),
            ("time", "time" in values or "datetime" in values),
        )
        if not ok
    ]
    if missing:
        raise FieldError("missing " + " and ".join(missing))
    try:
        phone = phones.normalize(values["phone"], country)
    except phones.InvalidNumber as exc:
        raise FieldError(f"bad number: {exc}") from None
    if "datetime" in values and not ("date" in values and "time" in values):
        dt_text = values["datetime"]
        if "time" in values:
            dt_text += " " + values["time"]
        starts = parse_datetime(dt_text, country=country, tz=tz)
    else:
        day = parse_date(values["date"], country=country)
        starts = to_utc(datetime.combine(day, parse_time(values["time"])), tz)
    if starts <= now:
        raise FieldError(f"date in the past ({starts.astimezone(tz):%Y-%m-%d %H:%M})")
    return Row(
        line=line,
        name=name[:100],
        phone=phone,
        starts_at=starts,
        service=values.get("service", "")[:100],
        note=values.get("note", "")[:1000],
        key=source_key(phone, starts),
    )
