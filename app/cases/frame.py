"""Whether the signed-in person may see any case study, for the top bar's "Cases" link, as a
part of the page's frame (app/web/frame.py): one shared with the group, or one they contribute
to. The secretariat sees every case study, and so always has the link (templates/base.html)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Label, Row, exists, or_, select

from app.models import CaseContributor, CaseStudy
from app.web.frame import FramePart


def _columns(user_id: BindParameter[int]) -> Sequence[Label[Any]]:
    mine = select(CaseContributor.case_id).where(CaseContributor.user_id == user_id)
    any_case = exists().where(or_(CaseStudy.visibility == "group", CaseStudy.id.in_(mine)))
    return [select(any_case).scalar_subquery().label("cases_visible")]


def _read(row: Row[Any], _now: datetime) -> Mapping[str, Any]:
    return {"cases_visible": bool(row.cases_visible)}


CASES = FramePart(_columns, _read)
