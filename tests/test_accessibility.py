"""Accessibility in a real headless Chromium: axe-core finds no serious or critical problem on the
main pages of each role, and every page works with the keyboard alone.

axe-core is vendored in tests/vendor/axe-core (see its README): nothing is fetched at run time.
"""

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.audit.service import Actor
from app.db import Database
from app.models import RoundKind
from app.rounds import service as rounds
from tests.factories import PASSWORD, World, bearer, token_for
from tests.helpers import Clock, browser_log_in
from tests.test_approvals import REV1, add_somtc_chair, settle
from tests.test_browser_comments import FIND

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
APPROVAL = f"/rounds/{REV1}/approve"

# Every violation axe finds, whatever its impact. No preload: it fetches the stylesheets again
# for css-orientation-lock and loads media for no-autoplay-audio, and the app has neither an
# orientation query nor audio; it halves the time of a run.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"], preload: false});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                                summary: n.failureSummary})),
  }));
}"""


@dataclass(frozen=True)
class Discussion:
    proposal: int
    other_proposal: int
    comment: int


@pytest.fixture
def discussion(app: FastAPI, world: World, database: Database, clock: Clock) -> Discussion:
    """Two proposals, positions, a comment on words with a reply: the pages have something to
    show. Made through the JSON API, as the pages would have made them."""

    def as_(email: str) -> dict[str, str]:
        return bearer(token_for(database, email, clock.now))

    def post(client: TestClient, path: str, email: str, **body: Any) -> int:
        response = client.post(f"/api/v1/{path}", json=body, headers=as_(email))
        assert response.status_code == 201, response.text
        made: int = response.json().get("id", 0)
        return made

    with TestClient(app) as client:
        pid = post(
            client,
            "proposals",
            world.member,
            kind="amend",
            targets=["FC-CD-01"],
            content={"text": "Passport or personal phone confiscated by the operators"},
            rationale="Confiscated is the term of ACTIP.",
            delegation="PH-SOMTC",
            submit=True,
        )
        other = post(
            client,
            "proposals",
            world.member2,
            kind="amend",
            targets=["FC-CD-02"],
            content={"text": "Confined to a guarded compound or a locked dormitory"},
            rationale="Dormitories are locked at night.",
            submit=True,
        )
        post(
            client,
            "positions",
            world.member3,
            proposal_id=pid,
            stance="objection",
            statement="Phones are often shared.",
        )
        comment = post(
            client,
            "comments",
            world.member2,
            item="FC-CD-01",
            quote="personal phone",
            body="Too narrow.",
        )
        post(client, "comments", world.secretariat, parent_id=comment, body="Agreed: any device.")
    return Discussion(proposal=pid, other_proposal=other, comment=comment)


@pytest.fixture
def settled(discussion: Discussion, database: Database, clock: Clock) -> Discussion:
    """And a settled round, which its two co-chairs are asked to approve."""
    add_somtc_chair(database, clock)
    settle(database, clock, REV1)
    return discussion


@pytest.fixture
def open_round(discussion: Discussion, database: Database, clock: Clock) -> Discussion:
    """And a round open for input, with a deadline."""
    actor = Actor.system("test")
    with database.transaction() as s:
        rounds.create_round(
            s,
            actor,
            symbol="DWG-FC/ZD",
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Manila",
            deadline=clock.now + timedelta(days=7),
            opens_at=None,
            instructions="Send proposals and comments by the deadline.",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.open_round(s, actor, "DWG-FC/ZD", now=clock.now)
    return discussion


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;true"


def axe(page: Any) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol rather than added as a <script>: the app's
    # Content-Security-Policy (script-src 'self') rightly refuses injected scripts, and the
    # pages are checked as they really are served, policy included.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return found


def report(where: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"    {n['target']}  {n['html']}" for n in v["nodes"][:5])
    return lines


# ---- Keyboard --------------------------------------------------------------------------------

# What Tab should reach, in document order: every visible, enabled control not taken out of the
# order, once per radio group (Tab enters a group once, the arrows move within it), nothing in a
# closed <details> but its summary. Then every focus is logged with the element's look.
PROBE = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, iframe, [tabindex], '
    + '[contenteditable="true"]';
  const controls = 'a[href], button, input, select, textarea, summary, iframe';
  const groupOf = (el) => el.matches('input[type="radio"]')
    ? [...document.forms].indexOf(el.form) + "/" + el.name : null;
  const look = (el) => {
    const s = getComputedStyle(el);
    return {outline: s.outlineStyle === "none" ? "none"
              : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
            shadow: s.boxShadow};
  };
  const describe = (el) => {
    const name = el.getAttribute("aria-label") || el.textContent.trim() || el.name || el.id;
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> `
      + name.replace(/\\s+/g, " ").slice(0, 50);
  };
  const inClosedDetails = (el) => {
    for (let d = el.parentElement.closest("details"); d;
         d = d.parentElement && d.parentElement.closest("details")) {
      if (!d.open && !(el.matches("summary") && el.parentElement === d)) return true;
    }
    return false;
  };
  const groups = new Set();
  const expected = [];
  for (const el of document.querySelectorAll(selector)) {
    // A control taken out of the order cannot be reached: it stays expected, and is missed.
    if (el.matches('input[type="hidden"]') || el.disabled) continue;
    if (el.tabIndex < 0 && !el.matches(controls)) continue;
    if (el.matches("summary") && el.parentElement.tagName !== "DETAILS") continue;
    if (!el.checkVisibility({visibilityProperty: true}) || inClosedDetails(el)) continue;
    const group = groupOf(el);
    if (group !== null) {
      if (groups.has(group)) continue;
      groups.add(group);
    }
    expected.push(el);
  }
  const stops = [];
  document.addEventListener("focusin", (e) => stops.push({el: e.target, look: look(e.target)}),
                            true);
  window.__kb = {expected, stops, look, describe, groupOf};
  return {count: expected.length,
          positive: [...document.querySelectorAll("[tabindex]")]
            .filter((el) => el.tabIndex > 0).map(describe)};
}"""

# The logged stops: which expected element each is (or -1), and its look with and without focus.
STOPS = """() => {
  const kb = window.__kb;
  const indexOf = (el) => {
    const group = kb.groupOf(el);
    return group === null ? kb.expected.indexOf(el)
      : kb.expected.findIndex((x) => kb.groupOf(x) === group);
  };
  const scroller = (el) => /(auto|scroll)/.test(getComputedStyle(el).overflowX
    + getComputedStyle(el).overflowY);
  if (document.activeElement) document.activeElement.blur();
  return {expected: kb.expected.map(kb.describe),
          stops: kb.stops.map((s) => ({index: indexOf(s.el), what: kb.describe(s.el),
                                       scroller: scroller(s.el),
                                       focused: s.look, unfocused: kb.look(s.el)}))};
}"""


def tab_cycle(page: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Tab through the whole page and back to its first stop; the expected stops and the cycle
    of stops actually reached, from the first."""
    probe = page.evaluate(PROBE)
    assert not probe["positive"], f"positive tabindex breaks the order: {probe['positive']}"
    count = probe["count"]
    result: dict[str, Any] = {}
    for _ in range(3):
        for _ in range(count + 2):
            page.keyboard.press("Tab")
        result = page.evaluate(STOPS)
        firsts = [i for i, s in enumerate(result["stops"]) if s["index"] == 0]
        if len(firsts) >= 2:
            return result["expected"], result["stops"][firsts[0] : firsts[1]]
    pytest.fail(f"Tab never came back to the first stop: {result.get('stops')}")


def keyboard_problems(page: Any, where: str) -> list[str]:
    """Every expected control reached once, in document order, each with a visible focus."""
    expected, cycle = tab_cycle(page)
    problems = []
    # A date and time field is one control with a stop for each of its parts.
    reached = [i for i, _ in itertools.groupby(s["index"] for s in cycle if s["index"] >= 0)]
    for s in cycle:
        if s["index"] < 0 and not s["scroller"]:
            problems.append(f"{where}: Tab stops on {s['what']}, which is not a control")
    if reached != list(range(len(expected))):
        missing = [expected[i] for i in range(len(expected)) if i not in reached]
        if missing:
            problems.append(f"{where}: Tab never reaches {missing}")
        backwards = [
            f"{expected[a]} -> {expected[b]}" for a, b in itertools.pairwise(reached) if b <= a
        ]
        if backwards:
            problems.append(f"{where}: Tab goes back in the page: {backwards}")
    if not expected or not expected[0].endswith("Skip to main content"):
        problems.append(f"{where}: the first stop is not the skip link but {expected[:1]}")
    else:
        page.evaluate("document.querySelector('a.skip-link').focus()")
        page.keyboard.press("Enter")
        if not page.evaluate("document.activeElement === document.querySelector('main#main')"):
            problems.append(f"{where}: the skip link does not take the focus to the main content")
    for s in cycle:
        focused, unfocused = s["focused"], s["unfocused"]
        outline = focused["outline"] != "none" and focused["outline"] != unfocused["outline"]
        shadow = focused["shadow"] != "none" and focused["shadow"] != unfocused["shadow"]
        if not (outline or shadow):
            problems.append(f"{where}: no visible focus on {s['what']}: {focused}")
    return problems


# ---- Each role's main pages: axe and Tab ------------------------------------------------------

# Paths are formatted with the ids of the Discussion.
READER = [
    "/register",
    "/indicators/FC-CD-01",
    "/sections/SEC-PURPOSE",
    "/proposals/{proposal}",
    "/proposals",
    "/consensus",
    "/rounds",
    f"/rounds/{REV1}",
    APPROVAL,
    "/comments/{comment}",
    "/responses",
    "/notifications",
    "/account",
]
# What each role sees that the others do not; a member sees every page a reader does.
PAGES = {
    "member": [*READER, "/proposals/new?kind=amend&item=FC-CD-01", "/proposals/{other_proposal}"],
    "secretariat": [
        "/indicators/FC-CD-01",
        "/proposals/{proposal}",
        "/queue",
        "/indicators/FC-CD-01/edit",
        "/indicators/FC-CD-01/diff?from=1&to=1",
        "/rounds/new",
        f"/rounds/{REV1}",
        APPROVAL,
        "/responses",
        "/audit",
    ],
    "chair": [APPROVAL, "/proposals/{proposal}", "/queue"],
    "observer": ["/register", "/indicators/FC-CD-01", "/proposals/{proposal}", "/consensus"],
}
# At a phone's width the register is a list of cards and the comment margin goes.
PHONE = [
    "/register",
    "/indicators/FC-CD-01",
    "/proposals/new?kind=amend&item=FC-CD-01",
    "/proposals/{proposal}",
]


def check_page(page: Any, where: str) -> tuple[list[str], list[str]]:
    """axe's findings of any impact, to read; and the problems: serious or critical findings,
    and anything Tab misses."""
    found = axe(page)
    problems = report(where, [v for v in found if v["impact"] in {"serious", "critical"}])
    return report(where, found), problems + keyboard_problems(page, where)


def assert_no_serious_violations(page: Any) -> None:
    found = axe(page)
    serious = [v for v in found if v["impact"] in {"serious", "critical"}]
    assert not serious, "\n".join(report(page.url, found))


def test_the_login_page_passes_axe_and_the_keyboard(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    seen, problems = check_page(page, "/login")
    page.get_by_label("E-mail address").fill("nobody@asean.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    more_seen, more_problems = check_page(page, "/login, refused")
    print("\n".join(seen + more_seen))
    assert not problems + more_problems, "\n".join(problems + more_problems)


@pytest.mark.parametrize("role", list(PAGES))
def test_the_main_pages_of_each_role_pass_axe_and_the_keyboard(
    page: Any, live_server: str, world: World, settled: Discussion, role: str
) -> None:
    browser_log_in(page, live_server, getattr(world, role))
    seen: list[str] = []
    problems: list[str] = []
    sizes = [(1280, 900)] + ([(390, 844)] if role == "member" else [])
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        for pattern in PAGES[role] if width > 400 else PHONE:
            path = pattern.format(**vars(settled))
            response = page.goto(f"{live_server}{path}")
            assert response.status == 200, path
            page_seen, page_problems = check_page(page, f"{path} at {width}px")
            seen += page_seen
            problems += page_problems
    print("\n".join(seen))
    assert not problems, "\n".join(problems)


# ---- The main tasks, with the keyboard alone -------------------------------------------------


def focused(page: Any) -> str:
    text: str = page.evaluate(
        "(() => { const el = document.activeElement;"
        " return `${el.tagName.toLowerCase()}#${el.id} ${el.textContent.trim()}`; })()"
    )
    return text


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def arrow_to(page: Any, value: str, key: str = "ArrowDown", limit: int = 10) -> None:
    """Change the focused select or radio group with the arrows until its value is `value`."""
    read = (
        "(() => { const el = document.activeElement;"
        " return el.type === 'radio' ? (el.checked ? el.value : '') : el.value; })()"
    )
    for _ in range(limit):
        if page.evaluate(read) == value:
            return
        page.keyboard.press(key)
    pytest.fail(f"the arrows never chose {value!r} in {focused(page)}")


def keyboard_log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/register$"))


def test_a_member_proposes_comments_and_takes_a_position_with_the_keyboard_alone(
    page: Any, live_server: str, world: World, open_round: Discussion
) -> None:
    keyboard_log_in(page, live_server, world.member)

    # The skip link comes first and moves the focus to the page's own content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Open an indicator from the register.
    tab_to(page, 'main a[href="/indicators/FC-CD-01"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicator FC-CD-01")

    # Propose an amendment: a first try without any change is refused, and the summary of the
    # problems has the focus; then the text, a strength and the rationale.
    tab_to(page, 'a[href^="/proposals/new?kind=amend"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose an amendment to FC-CD-01")
    tab_to(page, 'button[value="submit"]')
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert_no_serious_violations(page)
    tab_to(page, "#text")
    page.keyboard.press("Control+A")
    page.keyboard.type("Passport or personal phone held by the operators")
    tab_to(page, "#strength_child")
    arrow_to(page, "medium")
    tab_to(page, "#delegation")
    arrow_to(page, "PH-ACWC")
    tab_to(page, "#rationale")
    page.keyboard.type("Held covers both taking and keeping.")
    expect(page.locator("#live-preview ins").first).to_contain_text("held")
    tab_to(page, 'button[value="submit"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/proposals/\d+\?done=submitted$"))
    expect(page.locator("#confirmation")).to_contain_text("submitted")
    expect(page.locator(".proposal-facts")).to_contain_text("PH-ACWC")

    # Take a position on Indonesia's proposal.
    page.goto(f"{live_server}/proposals/{open_round.other_proposal}")
    tab_to(page, "#position-stance")
    arrow_to(page, "reservation")
    tab_to(page, "#position-statement")
    page.keyboard.type("Subject to our capital's view on devices.")
    tab_to(page, "#position-form button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?done=position"))
    expect(page.locator(".positions-table")).to_contain_text("Subject to our capital's view")

    # Comment on words typed into the form: sent without a comment first, the summary of the
    # problem has the focus and its link leads to the field; then reply to a thread.
    page.goto(f"{live_server}/indicators/FC-CD-01")
    tab_to(page, "#comment-quote")
    page.keyboard.type("the operators")
    tab_to(page, ".comment-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    assert_no_serious_violations(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your comment")).to_be_focused()
    page.keyboard.type("Which operators: recruiters or guards?")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add comment")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    expect(
        page.locator("#indicator-text mark.comment-anchor", has_text="the operators")
    ).to_have_count(1)
    tab_to(page, f"#comment-{open_round.comment} summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Your reply to C-{open_round.comment}")).to_be_focused()
    page.keyboard.type("Any device, yes.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{open_round.comment} .replies")).to_contain_text(
        "Any device, yes."
    )


# The first letter of `words` selected, as caret browsing or a screen reader's reading cursor
# leaves it once Shift and an arrow are pressed; the keyboard goes on from there.
FIRST_LETTER = f"""([boxId, words]) => {{
  const range = ({FIND})(document.getElementById(boxId), words);
  range.setEnd(range.startContainer, range.startOffset + 1);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}}"""


def test_words_selected_with_the_keyboard_are_commented_on_with_the_keyboard(
    page: Any, live_server: str, world: World
) -> None:
    keyboard_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}/indicators/FC-CD-01")
    page.evaluate(FIRST_LETTER, ["indicator-text", "personal phone"])
    for _ in range(len("personal phone") - 1):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("window.getSelection().toString()") == "personal phone"
    # The next Tab goes to the button for the selection.
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Comment on the selected words")
    expect(button).to_be_focused()
    expect(button).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Quoted words (optional)")).to_have_value("personal phone")
    expect(page.get_by_label("Your comment")).to_be_focused()
    page.keyboard.type("Tablets and laptops too.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    expect(page.locator("#indicator-text mark.comment-anchor")).to_have_text("personal phone")
