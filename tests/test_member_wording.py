"""Pages that speak to delegates (issue 16): a member walks every page they can reach from the
register by following links, and meets the answers they can cause (a forbidden action, a missing
page); none of them shows the developers' words: role and action identifiers
("proposal.decide", "proposal: decide"), "SHA-256", API paths ("/api/v1/..."), or the raw
values of the models' choices ("agreed_ad_ref", "under_consideration").

Only what a person reads is checked: the text of the page and the labels a screen reader says
(title, aria-label, alt), not the addresses links point to."""

import enum
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient

import app.models as models
from app.accounts.permissions import Action, refusal
from tests.factories import World
from tests.helpers import csrf_of, log_in

# The fixtures of a discussion and a settled round, made through the API.
from tests.test_accessibility import Discussion, discussion, settled  # noqa: F401

# Pages not to follow: leaving the session, files (not pages), and the API itself.
_SKIP = re.compile(r"^/(logout|static/|api/)|\.(docx|csv|pdf|json)$|/download|/export")
_LIMIT = 400


def _raw_choices() -> set[str]:
    """Every value of the models' enums that is written as an identifier (with '_')."""
    found: set[str] = set()
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, enum.Enum):
            found |= {str(m.value) for m in value if "_" in str(m.value)}
    return found


def _internal_words() -> list[re.Pattern[str]]:
    words = [re.compile(r"SHA-?256", re.I), re.compile(r"/api/v\d")]
    for action in Action:
        area, verb = action.value.split(".")
        words.append(re.compile(rf"\b{area}\s*[.:]\s*{verb}\b"))
    words += [re.compile(rf"\b{re.escape(v)}\b") for v in sorted(_raw_choices())]
    words.append(re.compile(r"your role \("))
    return words


class _Reader(HTMLParser):
    """The words of a page a person reads (text and spoken labels) and the links on it."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in ("title", "aria-label", "alt", "placeholder"):
            if a.get(name):
                self.text.append(a[name] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def _problems(path: str, html: str, words: list[re.Pattern[str]]) -> list[str]:
    text = " ".join(_read(html).text)
    return [f"{path}: {m.group(0)!r}" for w in words for m in [w.search(text)] if m]


def test_no_page_a_member_reaches_speaks_the_developers_language(
    client: TestClient,
    world: World,
    settled: Discussion,  # noqa: F811
) -> None:
    log_in(client, world.member)
    words = _internal_words()
    seen: set[str] = set()
    todo = ["/", "/register", "/help", f"/proposals/{settled.proposal}", "/account"]
    problems: list[str] = []
    while todo and len(seen) < _LIMIT:
        path = todo.pop(0)
        if path in seen or _SKIP.search(path):
            continue
        seen.add(path)
        response = client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        problems += _problems(path, response.text, words)
        for href in _read(response.text).links:
            target = urlsplit(urljoin(f"http://testserver{path}", href))
            if target.netloc != "testserver":
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                todo.append(link)
    assert len(seen) > 40, sorted(seen)  # the walk went through the site, not one page
    assert {"/help", "/register", "/proposals", "/rounds", "/consensus"} <= seen
    assert not problems, "\n".join(problems)


def test_answers_a_member_can_cause_speak_plainly(
    client: TestClient,
    world: World,
    settled: Discussion,  # noqa: F811
) -> None:
    csrf = log_in(client, world.member)
    words = _internal_words()
    answers = {
        "/queue": client.get("/queue"),
        "/audit": client.get("/audit"),
        "/admin/people": client.get("/admin/people"),
        "/proposals/9999": client.get("/proposals/9999"),
        "decide": client.post(
            f"/proposals/{settled.other_proposal}/decision",
            data={"csrf_token": csrf, "outcome": "agreed"},
        ),
    }
    assert answers["/queue"].status_code == 403
    assert answers["decide"].status_code == 403
    said = refusal(Action.DECIDE)
    assert said[0].upper() + said[1:] in answers["decide"].text  # a sentence, capitalised
    assert "Only the secretariat and the co-chairs can decide on proposals" in (
        answers["decide"].text
    )
    problems = [p for path, r in answers.items() for p in _problems(path, r.text, words)]
    assert not problems, "\n".join(problems)


def test_the_api_says_who_may_act_too(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    page = client.get("/account")
    response = client.post(
        "/api/v1/rounds",
        json={"symbol": "X", "title": "X"},
        headers={"X-CSRF-Token": csrf_of(page.text)},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "only the secretariat can open, close and settle rounds"


def test_the_help_page_has_a_short_section_per_role_the_readers_first(
    client: TestClient, world: World
) -> None:
    for email, first in (
        (world.member, "Delegation members"),
        (world.secretariat, "The secretariat"),
        (world.chair, "The co-chairs"),
        (world.observer, "Observers"),
    ):
        log_in(client, email)
        register = client.get("/register")
        assert '<a href="/help">Help</a>' in register.text  # in the header of every page
        page = client.get("/help")
        assert page.status_code == 200
        titles = re.findall(r'<h2 id="help-(\w+)-title">(.*?)</h2>', page.text)
        assert titles[0][1].startswith(first) and "Your role" in titles[0][1]
        assert not any("Your role" in t for _, t in titles[1:])
        assert {r for r, _ in titles} >= {"member", "secretariat", "chair", "observer", "admin"}
        # A link to a page the reader may not open is not offered.
        assert ('href="/queue"' in page.text) == (email in (world.secretariat, world.chair))
    log_in(client, world.member)
    text = " ".join(_read(client.get("/help").text).text)
    assert "Propose an amendment" in text and "select words in the text" in text
