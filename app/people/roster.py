"""Bulk onboarding: a roster (CSV: e-mail, name, role, delegation codes) is read, checked row by
row, shown, and then confirmed as a whole: every invitation is sent, or none.

Reading is forgiving about the shape spreadsheets give files: a header row in any order and case
(or none: then the columns are e-mail, name, role, delegations), UTF-8 with or without a byte
order mark, UTF-16 with one (Excel's "Unicode text"), commas, semicolons (Excel where the decimal
mark is a comma) or tabs, Excel's `sep=;` first line, quoted cells, blank rows and trailing empty
columns. It is strict about the content: a row with any problem stops the whole roster, and each
problem names its row.

Between the preview and the confirmation the roster travels in the page, sealed (app/signing.py)
with the person's id and the time, rather than in process memory (another app instance may take
the confirmation) or a table (abandoned previews would need cleaning up). The seal guarantees
that what is confirmed is byte for byte what was previewed, by the same person, within the hour;
the confirmation checks every row again against the database as it is then.
"""

import base64
import codecs
import csv
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.accounts.service import normalise_email
from app.audit.service import Actor
from app.config import Settings
from app.errors import InvalidInput
from app.mail.outbox import valid_address
from app.models import Delegation, Role, User
from app.signing import sign, unsign

MAX_ROWS = 1000
MAX_BYTES = 512 * 1024
MAX_NAME = invitations.MAX_NAME_LENGTH
SEAL_LIFETIME = timedelta(hours=1)
_SEAL_PURPOSE = "roster-preview"

# Header names, compared without case, spaces, dashes or underscores.
_HEADERS = {
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "name": "name",
    "fullname": "name",
    "role": "role",
    "delegation": "delegations",
    "delegations": "delegations",
    "delegationcode": "delegations",
    "delegationcodes": "delegations",
}
_POSITIONAL = ("email", "name", "role", "delegations")
_CODES = re.compile(r"[\s,;|]+")
_SEP_LINE = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)
_ROLE_NAMES = (
    {r.value: r for r in Role} | {r.label.lower(): r for r in Role} | {"asec": Role.SECRETARIAT}
)


@dataclass(slots=True)
class RosterRow:
    """One person of the roster, as read and as it would be invited."""

    row: int  # the spreadsheet's row number (the header, if any, is row 1)
    email: str
    name: str
    role_text: str
    role: Role | None
    delegations: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class Roster:
    rows: list[RosterRow]
    ignored_columns: list[str]

    @property
    def problems(self) -> list[tuple[int, str]]:
        return [(r.row, p) for r in self.rows for p in r.problems]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def report(self) -> list[str]:
        """One line per row, for the command line."""
        lines = []
        for r in self.rows:
            who = f"row {r.row}: {r.email or '(no e-mail)'}, {r.name or '(no name)'}"
            what = f"{r.role.value if r.role else r.role_text or '?'}"
            if r.delegations:
                what += f" for {' '.join(r.delegations)}"
            verdict = "will be invited" if r.ok else "; ".join(r.problems)
            lines.append(f"{who}, {what}: {verdict}")
        return lines


class RosterRefused(InvalidInput):
    """The roster has rows with problems; nothing was created. `roster` says which."""

    def __init__(self, roster: Roster) -> None:
        bad = sum(1 for r in roster.rows if not r.ok)
        super().__init__(
            f"{bad} of {len(roster.rows)} rows of the roster have problems; nothing was created: "
            "correct them and try again",
            field="file",
        )
        self.roster = roster


# --- Reading ----------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The roster's text; InvalidInput (field "file") for a file that is no roster at all."""
    if len(data) > MAX_BYTES:
        # "More than": the page reads no further than one byte past the limit.
        raise InvalidInput(
            f"the file is more than {MAX_BYTES // 1024} KB; a roster may be at most "
            f"{MAX_BYTES // 1024} KB (about {MAX_ROWS:,} people): split it",
            field="file",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is not UTF-8 text. In Excel, choose File > Save As > "
            "“CSV UTF-8 (Comma delimited)”; in LibreOffice, choose the character set “Unicode "
            "(UTF-8)”",
            field="file",
        ) from None
    if "\x00" in text:
        raise InvalidInput("the file is not a CSV text file (it holds NUL bytes)", field="file")
    if not text.strip():
        raise InvalidInput("the file is empty", field="file")
    return text


def _delimiter(line: str) -> str:
    """The separator of a CSV line: the most frequent of comma, semicolon and tab outside
    quotes (a comma when none is there: a roster of one column)."""
    found = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in found:
            found[char] += 1
    best = max(found, key=lambda c: found[c])
    return best if found[best] else ","


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_\-]+", "", cell.strip().lower())


def parse(text: str) -> tuple[list[RosterRow], list[str]]:
    """The rows of a roster's text, unchecked, and the header's columns that are ignored."""
    lines = text.splitlines(keepends=True)
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    first = lines[blank] if blank < len(lines) else ""
    sep = _SEP_LINE.match(first.strip())
    if sep:
        # Excel's hint line: "sep=;" names the separator and is no row.
        delimiter = sep.group(1)
        skipped = blank + 1
        text = "".join(lines[skipped:])
    else:
        delimiter = _delimiter(first)
        skipped = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns: dict[str, int] | None = None
    ignored: list[str] = []
    rows: list[RosterRow] = []
    try:
        for cells in reader:
            cells = [c.strip() for c in cells]
            number = reader.line_num + skipped
            if not any(cells):
                continue
            if columns is None and not rows:
                keys = [_HEADERS.get(_header_key(c)) for c in cells]
                if "email" in keys:
                    columns = {}
                    for index, (key, cell) in enumerate(zip(keys, cells, strict=True)):
                        if key is None or key in columns:
                            if cell:
                                ignored.append(cell)
                        else:
                            columns[key] = index
                    if "name" not in columns:
                        raise InvalidInput(
                            "the header row has no “name” column; the columns are e-mail, name, "
                            "role and delegations",
                            field="file",
                        )
                    continue
            rows.append(_row(number, cells, columns))
            if len(rows) > MAX_ROWS:
                raise InvalidInput(
                    f"the roster has more than {MAX_ROWS:,} people; import at most {MAX_ROWS:,} "
                    "at a time: split the file",
                    field="file",
                )
    except csv.Error as exc:
        raise InvalidInput(
            f"row {reader.line_num + skipped} cannot be read as CSV ({exc})", field="file"
        ) from None
    if not rows:
        raise InvalidInput("the roster has no rows of people, only a header", field="file")
    return rows, ignored


def _row(number: int, cells: list[str], columns: dict[str, int] | None) -> RosterRow:
    problems: list[str] = []
    if columns is None:
        # No header: e-mail, name, role, delegations; anything further must be empty.
        if any(cells[len(_POSITIONAL) :]):
            count = max(i for i, c in enumerate(cells) if c) + 1
            problems.append(
                f"has {count} values where 4 are expected (e-mail, name, role, delegations); "
                "add a header row to name the columns"
            )
        columns = {key: i for i, key in enumerate(_POSITIONAL)}

    def cell(key: str) -> str:
        index = columns.get(key) if columns else None
        return cells[index] if index is not None and index < len(cells) else ""

    codes = list(dict.fromkeys(c.upper() for c in _CODES.split(cell("delegations")) if c))
    return RosterRow(
        row=number,
        email=normalise_email(cell("email")),
        name=" ".join(cell("name").split()),
        role_text=cell("role"),
        role=None,
        delegations=codes,
        problems=problems,
    )


# --- Checking ---------------------------------------------------------------------------------


def check(session: Session, rows: list[RosterRow], *, inviter_role: Role | None) -> None:
    """Add to each row what is wrong with it, against the file itself and the database (a few
    statements for the whole roster). `inviter_role` None: the command line."""
    emails = {r.email for r in rows if r.email}
    registered = set(session.scalars(select(User.email).where(User.email.in_(emails))))
    codes = {c for r in rows for c in r.delegations}
    delegations: dict[str, datetime | None] = {}
    if codes:
        for code, retired in session.execute(
            select(Delegation.code, Delegation.retired_at).where(Delegation.code.in_(codes))
        ):
            delegations[code] = retired
    first_row: dict[str, int] = {}
    for r in rows:
        if not r.email:
            r.problems.append("the e-mail address is missing")
        elif not valid_address(r.email):
            r.problems.append(f"“{r.email}” is not an e-mail address")
        elif r.email in first_row:
            r.problems.append(f"the same e-mail address as row {first_row[r.email]}")
        elif r.email in registered:
            # Worded so that the capital a page gives a problem's first letter never falls on
            # the address.
            r.problems.append(f"an account already exists for {r.email}")
        if r.email and r.email not in first_row:
            first_row[r.email] = r.row
        if not r.name:
            r.problems.append("the name is missing")
        elif len(r.name) > MAX_NAME:
            r.problems.append(f"the name is longer than {MAX_NAME} characters")
        # No role: a member, the most common kind of participant (the preview says so).
        role = _ROLE_NAMES.get(r.role_text.strip().lower() or Role.MEMBER.value)
        if role is None:
            known = ", ".join(x.value for x in Role)
            r.problems.append(f"“{r.role_text}” is not a role (use {known})")
        elif role is Role.ADMIN and inviter_role not in (None, Role.ADMIN):
            r.problems.append("only an admin may invite an admin")
        r.role = role
        for code in r.delegations:
            if code not in delegations:
                r.problems.append(f"there is no delegation {code}")
            elif delegations[code] is not None:
                r.problems.append(f"delegation {code} is retired")
        if role is Role.MEMBER and not r.delegations:
            r.problems.append("a member needs at least one delegation")


def read(session: Session, data: bytes, *, inviter_role: Role | None) -> Roster:
    """The roster in `data`, each row checked; InvalidInput if the file cannot be read at all."""
    rows, ignored = parse(decode(data))
    check(session, rows, inviter_role=inviter_role)
    return Roster(rows, ignored)


def confirm(
    session: Session,
    actor: Actor,
    data: bytes,
    *,
    inviter_role: Role | None,
    now: datetime,
    settings: Settings,
) -> list[User]:
    """Invite everyone on the roster, in the caller's transaction: all or nothing. Every row is
    checked again first; any problem raises RosterRefused before anything is created, and a
    failure part-way (a database error) leaves the caller to roll back everything."""
    roster = read(session, data, inviter_role=inviter_role)
    if not roster.ok:
        raise RosterRefused(roster)
    invited = []
    for r in roster.rows:
        assert r.role is not None
        user, _ = invitations.invite(
            session,
            actor,
            email=r.email,
            name=r.name,
            role=r.role,
            delegation_codes=r.delegations,
            now=now,
            settings=settings,
            inviter_role=inviter_role,
        )
        invited.append(user)
    return invited


# --- Between the preview and the confirmation -------------------------------------------------


def seal(secret_key: str, user_id: int, data: bytes, *, now: datetime) -> str:
    """The roster, compressed and signed for this person and this moment, to carry in a page."""
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode().rstrip("=")
    return sign(secret_key, f"{_SEAL_PURPOSE}:{user_id}", f"{int(now.timestamp())}:{packed}")


def unseal(secret_key: str, user_id: int, sealed: str, *, now: datetime) -> bytes:
    """The roster sealed by `seal` for the same person, less than an hour ago."""
    value = unsign(secret_key, f"{_SEAL_PURPOSE}:{user_id}", sealed.strip())
    stamp, _, packed = (value or "").partition(":")
    if not value or not stamp.isdigit() or not packed:
        raise InvalidInput(
            "the roster preview could not be read back; upload the file again", field="file"
        )
    if now.timestamp() - int(stamp) > SEAL_LIFETIME.total_seconds():
        raise InvalidInput(
            "the roster preview is more than an hour old; upload the file again", field="file"
        )
    raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    inflate = zlib.decompressobj()
    data = inflate.decompress(raw, MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidInput("the roster preview is too large; upload the file again", field="file")
    return data
