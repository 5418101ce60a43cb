"""Comments in a real headless Chromium: select words with the mouse, comment on them, reply; Thai
and emoji offsets; the keyboard; screenshots of the pages at laptop and phone widths (in
test-artifacts/, for a person to look at)."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, browser_log_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ITEM = "/indicators/FC-CD-01"

# The DOM position of `words` inside a draft text, across the pieces the words may be cut into
# (reference marks between pieces are not part of the text).
FIND = """(box, words) => {
  const nodes = [];
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("[data-offset]")) nodes.push(node);
  }
  const text = nodes.map((n) => n.data).join("");
  const at = text.indexOf(words);
  if (at === -1) return null;
  const point = (offset, end) => {
    let seen = 0;
    for (const node of nodes) {
      if (offset < seen + node.data.length || (end && offset === seen + node.data.length)) {
        return [node, offset - seen];
      }
      seen += node.data.length;
    }
    return null;
  };
  const range = document.createRange();
  range.setStart(...point(at, false));
  range.setEnd(...point(at + words.length, true));
  return range;
}"""

# Select `words` as a person would with the mouse, through the DOM: a Range over them, then the
# mouseup that ends a drag.
SELECT = f"""([boxId, words]) => {{
  const box = document.getElementById(boxId);
  const range = ({FIND})(box, words);
  if (!range) return false;
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const rect = range.getBoundingClientRect();
  box.dispatchEvent(new MouseEvent("mouseup", {{
    bubbles: true, clientX: rect.right, clientY: rect.bottom,
  }}));
  return true;
}}"""

# Where `words` are on screen, to drag the real mouse over them.
RECT = f"""([boxId, words]) => {{
  const range = ({FIND})(document.getElementById(boxId), words);
  if (!range) return null;
  const r = range.getBoundingClientRect();
  return {{left: r.left, right: r.right, top: r.top, bottom: r.bottom}};
}}"""


def drag_over(page: Any, box_id: str, words: str) -> None:
    rect = page.evaluate(RECT, [box_id, words])
    assert rect, words
    y = (rect["top"] + rect["bottom"]) / 2
    page.mouse.move(rect["left"] + 1, y)
    page.mouse.down()
    page.mouse.move((rect["left"] + rect["right"]) / 2, y, steps=4)
    page.mouse.move(rect["right"] - 1, y, steps=4)
    page.mouse.up()


def test_member_selects_words_comments_and_another_replies(
    page: Any, browser: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    button = page.get_by_role("button", name="Comment on the selected words")
    expect(button).to_be_hidden()

    drag_over(page, "indicator-text", "personal phone")
    assert page.evaluate("window.getSelection().toString()") == "personal phone"
    expect(button).to_be_visible()
    button.click()

    quote = page.get_by_label("Quoted words (optional)")
    expect(quote).to_have_value("personal phone")
    expect(quote).to_have_attribute("readonly", "")
    assert page.locator('#new-comment input[name="start"]').input_value() == "12"
    assert page.locator('#new-comment input[name="end"]').input_value() == "26"
    body = page.get_by_label("Your comment")
    expect(body).to_be_focused()
    body.fill("Too narrow: tablets and laptops are taken too.")
    page.get_by_label("Substantive").check()
    page.get_by_role("button", name="Add comment").click()

    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01#comment-1$"))
    thread = page.locator("#comment-1")
    expect(thread).to_contain_text("Maria Santos")
    expect(thread.locator(".quote-mark")).to_have_text("personal phone")
    expect(thread).to_contain_text("Too narrow: tablets and laptops are taken too.")
    expect(page.locator("#indicator-text mark.comment-anchor")).to_have_text("personal phone")
    # The words are still exactly the text, only marked.
    pieces = page.locator("#indicator-text [data-offset]").all_text_contents()
    assert "".join(pieces) == "Passport or personal phone taken by the operators"

    # Another delegation replies.
    context = browser.new_context()
    other = context.new_page()
    other.set_default_timeout(10_000)
    browser_log_in(other, live_server, world.member2)
    other.goto(f"{live_server}{ITEM}")
    other.locator("#comment-1 summary", has_text="Reply").click()
    other.get_by_label("Your reply to C-1").fill("Agreed: any device.")
    other.get_by_role("button", name="Post reply").click()
    expect(other).to_have_url(re.compile(r"#comment-2$"))
    reply = other.locator("#comment-1 .replies #comment-2")
    expect(reply).to_contain_text("Budi Hartono")
    expect(reply).to_contain_text("Agreed: any device.")
    context.close()

    page.reload()
    expect(page.get_by_role("link", name=re.compile(r"^Notifications \(1"))).to_be_visible()


def test_thai_words_after_an_emoji_are_anchored_at_code_point_offsets(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    text = "เหยื่อ 📱 ถูกยึดโทรศัพท์มือถือ และถูกบังคับให้หลอกลวงทางออนไลน์ 🙏"
    word = "โทรศัพท์"
    sec = bearer(token_for(database, world.secretariat, clock.now))
    created = page.request.post(
        f"{live_server}/api/v1/indicators",
        data={"dimension": "CD", "text": text, "reason": "Thai translation"},
        headers=sec,
    )
    assert created.status == 201, created.text()
    code = created.json()["code"]

    browser_log_in(page, live_server, world.member3)
    page.goto(f"{live_server}/indicators/{code}")
    assert page.evaluate(SELECT, ["indicator-text", word])
    page.get_by_role("button", name="Comment on the selected words").click()
    expect(page.get_by_label("Quoted words (optional)")).to_have_value(word)
    page.get_by_label("Your comment").fill("ควรรวมแท็บเล็ตด้วย")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#indicator-text mark.comment-anchor")).to_have_text(word)

    stored = page.request.get(f"{live_server}/api/v1/comments?item={code}", headers=sec).json()
    anchor = stored[0]["anchor"]
    assert anchor["quote"] == word
    # Python counts code points: the emoji is one, where JavaScript's indexOf counts two.
    assert (anchor["start"], anchor["end"]) == (text.index(word), text.index(word) + len(word))
    assert page.evaluate(f"'{text}'.indexOf('{word}')") == text.index(word) + 1


def test_the_comment_form_works_with_the_keyboard_alone(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "comment-quote":
            break
    else:
        pytest.fail("Tab never reached the Quoted words field")
    page.keyboard.type("the operators")
    page.keyboard.press("Tab")  # to the kinds: General is chosen
    page.keyboard.press("ArrowDown")  # Substantive
    page.keyboard.press("Tab")  # to who can read it
    page.keyboard.press("Tab")  # to the delegation
    page.keyboard.press("Tab")  # to the comment
    assert page.evaluate("document.activeElement.id") == "comment-body"
    page.keyboard.type("Which operators: recruiters or guards?")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Add comment"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#comment-1$"))
    expect(page.locator("#comment-1")).to_contain_text("Substantive")
    expect(page.locator("#indicator-text mark.comment-anchor")).to_have_text("the operators")


def _some_discussion(page: Any, browser: Any, live_server: str, world: World) -> None:
    """Three threads, overlapping words, a reply, an answer, a resolved thread."""
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    for n, (words, body) in enumerate(
        [
            ("personal phone", "Too narrow: tablets and laptops are taken too."),
            ("phone taken", "“Taken” or “confiscated”? The NPP Guideline says “confiscated”."),
        ],
        start=1,
    ):
        assert page.evaluate(SELECT, ["indicator-text", words])
        page.get_by_role("button", name="Comment on the selected words").click()
        page.get_by_label("Your comment").fill(body)
        page.get_by_role("button", name="Add comment").click()
        expect(page).to_have_url(re.compile(f"#comment-{n}$"))
    page.get_by_label("Your comment").fill("Should this be split into passport and phone?")
    page.get_by_label("Chairs and secretariat only").check()
    page.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"#comment-3$"))

    context = browser.new_context()
    sec = context.new_page()
    browser_log_in(sec, live_server, world.secretariat)
    sec.goto(f"{live_server}{ITEM}")
    sec.locator("#comment-1 summary", has_text="Reply").click()
    sec.get_by_label("Your reply to C-1").fill("Noted; see the Chair's text for Rev.1.")
    sec.get_by_role("button", name="Post reply").click()
    expect(sec).to_have_url(re.compile(r"#comment-4$"))
    sec.locator("#comment-2 summary", has_text="Answer").click()
    sec.get_by_label("Answer to C-2").fill("Accepted: “confiscated” in Rev.1.")
    sec.get_by_role("button", name="Save answer").click()
    expect(sec).to_have_url(re.compile(r"#comment-2$"))
    sec.locator("#comment-3").get_by_role("button", name="Resolve").click()
    expect(sec.locator("#comment-3")).to_contain_text("Resolved by Siti Secretariat")
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_screenshots_of_the_comment_pages(
    page: Any, browser: Any, live_server: str, world: World, width: int, height: int
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    _some_discussion(page, browser, live_server, world)
    shots = {
        "comments-indicator": f"{ITEM}#comments",
        "comments-thread": "/comments/1",
        "comments-notifications": "/notifications",
        "comments-responses": "/responses",
    }
    for name, path in shots.items():
        page.goto(f"{live_server}{path}")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, name
    # The selection button, where it appears.
    page.goto(f"{live_server}{ITEM}")
    drag_over(page, "indicator-text", "the operators")
    expect(page.get_by_role("button", name="Comment on the selected words")).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / f"comments-select-{width}.png"))
