"""Who may see a case study, the one rule: the secretariat every case study, a named contributor
theirs, members, co-chairs and observers those shared with the group; nobody else (an admin)
any. `sees` for one case study (app/cases/service.py), `hidden_cases` in SQL for readers outside
the feature (the audit trail leaves their events out)."""

from sqlalchemy import Select, false, select

from app.models import Role
from app.models.cases import CaseContributor, CaseStudy
from app.principal import Principal

GROUP_READERS = (Role.CHAIR, Role.MEMBER, Role.OBSERVER)


def sees(visibility: str, principal: Principal, contributors: set[int]) -> bool:
    """Whether `principal` may see a case study of that visibility and those contributors."""
    if principal.role is Role.SECRETARIAT or principal.user_id in contributors:
        return True
    return visibility == "group" and principal.role in GROUP_READERS


def hidden_cases(principal: Principal) -> Select[int]:
    """The ids of the case studies `principal` may not see."""
    if principal.role is Role.SECRETARIAT:
        return select(CaseStudy.id).where(false())
    theirs = select(CaseContributor.case_id).where(CaseContributor.user_id == principal.user_id)
    query = select(CaseStudy.id).where(CaseStudy.id.not_in(theirs))
    if principal.role in GROUP_READERS:
        query = query.where(CaseStudy.visibility != "group")
    return query
