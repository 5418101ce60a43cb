"""Case studies (issue 21): anonymised narratives split into numbered facts, each fact coded
against the indicators, and what the personal-data check found in them.

Quasi-identifiers are kept only as bands (an age band, a region or country, a year or a range of
years); the service refuses an exact date or age. A case study is restricted (the secretariat
and its named contributors) until it is shared with the group, which an open personal-data
finding prevents.

A coding names the indicator by the item's stable id (`items.id`), never by its code alone: when
indicators are merged or split, the register's own record of it (the revision that withdrew an
item came from a merge proposal; an item's first revision from a proposal to add that names the
item it is split from) is read when the codings are read (app/cases/concordance.py), so nothing
in the register needs to know that case studies exist.

`version` columns guard edits: the ORM adds "AND version = :loaded" to every UPDATE, and the
service compares the version the editor saw (412 when it is stale).
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.errors import PreconditionFailed

PROFILES = ("adult", "child")
FORMS = ("online_scam", "drug_courier", "other")
OUTCOMES = ("trafficked_forced_criminality", "exploited_not_trafficked", "insufficient_information")
VISIBILITIES = ("restricted", "group")
PHASES = ("recruitment", "transit", "exploitation", "exit")
SOURCES = ("victim_interview", "official_record", "ngo_report", "court_file", "other")
STATUSES = ("present", "absent", "unknown")


class CaseStudy(Base):
    __tablename__ = "case_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # CS-01
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    profile: Mapped[str] = mapped_column(String(8))
    crime_form: Mapped[str] = mapped_column(String(16))
    # Quasi-identifiers, as bands only.
    age_band: Mapped[str] = mapped_column(String(16), default="")
    nationality: Mapped[str] = mapped_column(String(64), default="")
    place: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(16), default="")
    outcome: Mapped[str] = mapped_column(String(32))
    outcome_reasoning: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="restricted")
    double_coding: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"case study {self.reference} is at version {self.version}; you sent "
                f"{expected}. Someone changed it meanwhile: reload it and make your change again",
                current_revision=self.version,
            )


class CaseContributor(Base):
    __tablename__ = "case_contributors"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class CaseFact(Base):
    __tablename__ = "case_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # One fact per number in a case study (migration 0025); renumbering moves the rows it
    # changes out of the way first (cases.service.order_facts), as the check is per row.
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    __mapper_args__ = {"version_id_col": version}

    def check_version(self, expected: int, reference: str) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"fact {self.number} of {reference} is at version {self.version}; you sent "
                f"{expected}. Someone changed it meanwhile: reload it and make your change again",
                current_revision=self.version,
            )


class FactCoding(Base):
    """One coder's reading of one fact against one indicator. A new coding by the same coder
    for the same indicator supersedes the current one (kept, with when), so the history stays;
    one current coding per (fact, indicator, coder), kept by a partial unique index."""

    __tablename__ = "fact_codings"
    __table_args__ = (
        Index(
            "uq_fact_codings_current",
            "fact_id",
            "item_id",
            "coder_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fact_id: Mapped[int] = mapped_column(ForeignKey("case_facts.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # the indicator's code when it was coded
    status: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[str] = mapped_column(Text, default="")
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseFinding(Base):
    """Personal data the check found in a case study's text: in a field of the case study
    ("title", "summary", "outcome_reasoning") or in a fact. The words found are not stored, only
    where they are and a digest of them (so a dismissed finding is not raised again); the page
    shows them from the text itself. Open until the text no longer holds them (resolved) or
    someone says they are not personal data (dismissed)."""

    __tablename__ = "case_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    fact_id: Mapped[int | None] = mapped_column(ForeignKey("case_facts.id"))
    field: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismiss_reason: Mapped[str] = mapped_column(String(200), default="")

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.dismissed_at is None
