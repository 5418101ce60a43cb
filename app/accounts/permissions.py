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
    PROPOSE = "proposal.propose"
    SPONSOR = "proposal.sponsor"
    TAKE_POSITION = "position.take"
    COMMENT = "comment.write"
    REBASE = "proposal.rebase"
    DECIDE = "proposal.decide"
    ANSWER = "input.answer"
    MARK_ITEM = "item.mark"
    MANAGE_ROUNDS = "round.manage"
    BREAK_SILENCE = "round.break_silence"
    READ_NOTIFICATIONS = "notification.read"
    APPROVE = "round.approve"
    READ_AUDIT = "audit.read"
    IMPORT_WORD = "word.import"
    MANAGE_GROUP = "group.manage"
    MANAGE_PEOPLE = "people.manage"
    READ_OUTBOX = "mail.outbox"
    SEARCH = "search.read"
    READ_MEETINGS = "meeting.read"
    MANAGE_MEETINGS = "meeting.manage"
    RUN_MEETING = "meeting.run"
    TAKE_PART = "meeting.take_part"
    READ_RATING = "rating.read"
    ANSWER_RATING = "rating.answer"
    MANAGE_RATING = "rating.manage"
    READ_CASES = "case.read"
    WRITE_CASES = "case.write"
    MANAGE_CASES = "case.manage"


EVERYONE = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_REGISTER: EVERYONE,
    Action.CREATE_ITEM: frozenset({Role.SECRETARIAT}),
    Action.EDIT_ITEM: frozenset({Role.SECRETARIAT}),
    Action.READ_GROUP: EVERYONE,
    Action.READ_OWN_ACCOUNT: EVERYONE,
    Action.MANAGE_OWN_TOKENS: EVERYONE,
    # Members act for one of their delegations; the service checks which (Principal.delegation_for).
    Action.PROPOSE: frozenset({Role.MEMBER}),
    Action.SPONSOR: frozenset({Role.MEMBER}),
    Action.TAKE_POSITION: frozenset({Role.MEMBER}),
    # Observers only where the round invites them: checked by the comments service.
    Action.COMMENT: frozenset({Role.MEMBER, Role.SECRETARIAT, Role.CHAIR, Role.OBSERVER}),
    # The proposing delegation rebases its own proposal; the secretariat may do it for them.
    Action.REBASE: frozenset({Role.MEMBER, Role.SECRETARIAT}),
    Action.DECIDE: frozenset({Role.SECRETARIAT, Role.CHAIR}),
    Action.ANSWER: frozenset({Role.SECRETARIAT}),
    Action.MARK_ITEM: frozenset({Role.SECRETARIAT, Role.CHAIR}),
    Action.MANAGE_ROUNDS: frozenset({Role.SECRETARIAT}),
    # Silence is broken by a delegation, through one of its members.
    Action.BREAK_SILENCE: frozenset({Role.MEMBER}),
    Action.READ_NOTIFICATIONS: EVERYONE,
    # Only the co-chairs listed for the round: checked by the approvals service.
    Action.APPROVE: frozenset({Role.CHAIR}),
    Action.READ_AUDIT: frozenset({Role.SECRETARIAT, Role.CHAIR, Role.ADMIN}),
    # A returned Word copy becomes its delegation's proposals: the secretariat imports for any
    # delegation, a member only for their own (checked by app/imports); a draft written in Word
    # fills the register, so only the secretariat imports one. Chairs decide, they do not propose.
    Action.IMPORT_WORD: frozenset({Role.SECRETARIAT, Role.MEMBER}),
    # Bodies and delegations; people, invitations and rosters. Only an admin grants or takes
    # away the admin role and resets a second factor (checked by the services).
    Action.MANAGE_GROUP: frozenset({Role.ADMIN, Role.SECRETARIAT}),
    Action.MANAGE_PEOPLE: frozenset({Role.ADMIN, Role.SECRETARIAT}),
    # Mail that could not go out (or, without SMTP settings, all mail) can be read here.
    Action.READ_OUTBOX: frozenset({Role.ADMIN}),
    # Everyone searches; what each person finds is what they may see (app/search/service.py).
    Action.SEARCH: EVERYONE,
    # Which meetings each person sees is checked by app/meetings (participants, observers).
    Action.READ_MEETINGS: EVERYONE,
    Action.MANAGE_MEETINGS: frozenset({Role.SECRETARIAT}),
    # Moving through the agenda in the room: the secretariat or a co-chair.
    Action.RUN_MEETING: frozenset({Role.SECRETARIAT, Role.CHAIR}),
    # A delegation asks for the floor, joins and leaves, through one of its members.
    Action.TAKE_PART: frozenset({Role.MEMBER}),
    # Rating rounds (app/rating): drafts only for the secretariat, checked by the service.
    Action.READ_RATING: frozenset({Role.SECRETARIAT, Role.CHAIR, Role.MEMBER, Role.OBSERVER}),
    # Only those on the round's panel: checked by the service (403 naming the panel).
    Action.ANSWER_RATING: frozenset({Role.MEMBER, Role.CHAIR, Role.OBSERVER}),
    Action.MANAGE_RATING: frozenset({Role.SECRETARIAT}),
    # Case studies (app/cases): which ones each person sees is checked by the service (a
    # restricted one: the secretariat and its named contributors; a shared one: the group).
    Action.READ_CASES: frozenset({Role.SECRETARIAT, Role.CHAIR, Role.MEMBER, Role.OBSERVER}),
    # Facts, codings and findings: the secretariat, and the named contributors of a case study
    # (checked by the service).
    Action.WRITE_CASES: frozenset({Role.SECRETARIAT, Role.CHAIR, Role.MEMBER, Role.OBSERVER}),
    # Opening a case study, naming its contributors, sharing it, asking for double coding.
    Action.MANAGE_CASES: frozenset({Role.SECRETARIAT}),
}


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


# What each action is, in words a reader of English as a second language meets on a page.
_DOING: dict[Action, str] = {
    Action.READ_REGISTER: "read the register",
    Action.CREATE_ITEM: "add indicators and sections to the register",
    Action.EDIT_ITEM: "edit indicators and sections",
    Action.READ_GROUP: "see the working group",
    Action.READ_OWN_ACCOUNT: "see this account",
    Action.MANAGE_OWN_TOKENS: "manage access keys for scripts",
    Action.PROPOSE: "propose changes",
    Action.SPONSOR: "support a proposal as a co-sponsor",
    Action.TAKE_POSITION: "give a delegation's position",
    Action.COMMENT: "comment",
    Action.REBASE: "update a proposal to the current text",
    Action.DECIDE: "decide on proposals",
    Action.ANSWER: "answer comments and inputs",
    Action.MARK_ITEM: "mark an indicator as agreed or not",
    Action.MANAGE_ROUNDS: "open, close and settle rounds",
    Action.BREAK_SILENCE: "break silence in a round",
    Action.READ_NOTIFICATIONS: "read notifications",
    Action.APPROVE: "approve a round's text",
    Action.READ_AUDIT: "read the audit trail",
    Action.IMPORT_WORD: "import Word files",
    Action.MANAGE_GROUP: "manage the working group",
    Action.MANAGE_PEOPLE: "manage people's accounts",
    Action.READ_OUTBOX: "read the mail outbox",
    Action.SEARCH: "search the register, proposals and comments",
    Action.READ_MEETINGS: "see meetings",
    Action.MANAGE_MEETINGS: "set up meetings and their agenda",
    Action.RUN_MEETING: "move a meeting through its agenda",
    Action.TAKE_PART: "ask for the floor or join a meeting for a delegation",
    Action.READ_RATING: "see rating rounds",
    Action.ANSWER_RATING: "answer rating rounds",
    Action.MANAGE_RATING: "set up, open and close rating rounds",
    Action.READ_CASES: "read case studies",
    Action.WRITE_CASES: "write and code case studies",
    Action.MANAGE_CASES: "open case studies and choose who works on them",
}

# Who holds a role, as a sentence names them.
_WHO: dict[Role, str] = {
    Role.MEMBER: "delegation members",
    Role.SECRETARIAT: "the secretariat",
    Role.CHAIR: "the co-chairs",
    Role.OBSERVER: "observers",
    Role.ADMIN: "administrators",
}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def doing(action: Action) -> str:
    """The action in plain words: 'decide on proposals'."""
    return _DOING[action]


def refusal(action: Action) -> str:
    """Why a person's role may not take `action`, in plain words, naming who can:
    'only the secretariat and the co-chairs can decide on proposals' (an error page starts it
    with a capital, as it does every other message)."""
    who = [_WHO[role] for role in Role if role in PERMISSIONS[action]]
    return f"only {_and(who)} can {_DOING[action]}"
