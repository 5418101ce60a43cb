"""Who may do what: one table, checked by one dependency (app.web.deps.Allow).

A route without an Allow(...) dependency fails tests/test_permissions.py unless it is on the short
public list there.
"""

from enum import StrEnum

from app.models import Role


class Action(StrEnum):
    READ_REGISTER = "register.read"
    CREATE_ITEM = "register.create"
    EDIT_ITEM = "register.edit"
    READ_GROUP = "group.read"
    READ_OWN_ACCOUNT = "account.read"
    MANAGE_OWN_TOKENS = "account.tokens"


EVERYONE = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_REGISTER: EVERYONE,
    Action.CREATE_ITEM: frozenset({Role.SECRETARIAT}),
    Action.EDIT_ITEM: frozenset({Role.SECRETARIAT}),
    Action.READ_GROUP: EVERYONE,
    Action.READ_OWN_ACCOUNT: EVERYONE,
    Action.MANAGE_OWN_TOKENS: EVERYONE,
}


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]
