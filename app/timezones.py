"""Time zones: which ones a person may choose, and how a moment is written unambiguously.

Every moment is stored in UTC. Pages show it in the reader's zone (their own, else the group's,
ZERODRAFT_TIME_ZONE), written with the zone's abbreviation where it has a lettered one and
always its offset, so that "PST" in Manila cannot be read as California's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_ZONE = ZoneInfo("UTC")

# The zones of the ASEAN Member States, offered first (Indonesia has three).
ASEAN_ZONES: tuple[tuple[str, str], ...] = (
    ("Asia/Brunei", "Bandar Seri Begawan, Brunei Darussalam"),
    ("Asia/Phnom_Penh", "Phnom Penh, Cambodia"),
    ("Asia/Jakarta", "Jakarta, western Indonesia"),
    ("Asia/Makassar", "Makassar, central Indonesia"),
    ("Asia/Jayapura", "Jayapura, eastern Indonesia"),
    ("Asia/Vientiane", "Vientiane, Lao PDR"),
    ("Asia/Kuala_Lumpur", "Kuala Lumpur, Malaysia"),
    ("Asia/Yangon", "Yangon, Myanmar"),
    ("Asia/Manila", "Manila, Philippines"),
    ("Asia/Singapore", "Singapore"),
    ("Asia/Bangkok", "Bangkok, Thailand"),
    ("Asia/Dili", "Dili, Timor-Leste"),
    ("Asia/Ho_Chi_Minh", "Hanoi and Ho Chi Minh City, Viet Nam"),
)


@lru_cache(maxsize=1024)
def known_zone(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None for an empty or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def choosable_zones() -> frozenset[str]:
    """Every zone a person may choose: the IANA regions (Asia/Jakarta), not the legacy aliases
    (US/Eastern, Etc/GMT+7) whose names mislead, and UTC."""
    return frozenset(z for z in available_timezones() if z.startswith(_REGIONS)) | {"UTC"}


def utc_offset(moment: datetime) -> str:
    """'UTC+7', 'UTC+6:30', 'UTC-3', or 'UTC' for no offset."""
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: datetime) -> str:
    """The zone of an aware moment, unambiguously: the abbreviation where the zone has a
    lettered one, always with the offset ('WIB (UTC+7)', 'PST (UTC+8)' in Manila, 'UTC+6:30'
    in Yangon, 'UTC')."""
    offset = utc_offset(moment)
    abbreviation = moment.tzname() or ""
    if abbreviation.isalpha() and abbreviation not in ("UTC", "GMT", "Z"):
        return f"{abbreviation} ({offset})"
    return offset


def in_zone(value: datetime, zone: str) -> datetime:
    return value.astimezone(known_zone(zone) or UTC_ZONE)


@lru_cache(maxsize=4096)
def local_text(value: datetime | None, zone: str) -> str:
    """A stored moment as read in `zone`: '02 Mar 2026 16:00 WIB (UTC+7)'. Remembered: a page
    shows the same moments several times (a revision's date in the history and in both lists
    of the comparison form) and the same ones on every view."""
    if value is None:
        return ""
    local = in_zone(value, zone)
    return f"{local:%d %b %Y %H:%M} {zone_label(local)}"


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    name: str
    label: str


def zone_choices(now: datetime) -> tuple[list[ZoneChoice], list[ZoneChoice]]:
    """The ASEAN zones, then every other choosable zone by name, each labelled with its offset
    now ('Manila, Philippines (UTC+8)')."""
    asean = [
        ZoneChoice(name, f"{label} ({utc_offset(in_zone(now, name))})")
        for name, label in ASEAN_ZONES
    ]
    first = {name for name, _ in ASEAN_ZONES}
    rest = [
        ZoneChoice(name, f"{name.replace('_', ' ')} ({utc_offset(in_zone(now, name))})")
        for name in sorted(choosable_zones() - first)
    ]
    return asean, rest
