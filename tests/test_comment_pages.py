"""Comments, notifications and the comment-response table through their web pages, posting the
forms as a browser without JavaScript would: every field the page's form holds is sent back, with
the person's changes on top."""

import csv
import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.accounts.service import principal_for_token
from app.comments.panels import comments_on_proposal
from app.db import Database
from app.text.highlight import Span, segments
from app.web.templating import templates
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, log_in, logged_in, post
from tests.test_register_pages import edit as register_edit
from tests.test_register_pages import submit as register_submit

ITEM = "/indicators/FC-CD-01"
TEXT = "Passport or personal phone taken by the operators"


def comment(
    client: TestClient, body: str, *, page: str = ITEM, quote: str = "", **more: str
) -> Any:
    """Fill in the page's new-comment form as a person without JavaScript would."""
    fields = form_in(client.get(page).text, id="new-comment")
    fields |= {"body": body, "quote": quote, **more}
    return post(client, "/comments", fields)


def new_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    found = re.search(r"#comment-(\d+)$", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def marks(html: str) -> list[tuple[str, str]]:
    """(comment ids, words) of each highlighted piece of the draft text."""
    return re.findall(
        r'<mark class="comment-anchor[^"]*"[^>]*data-comments="([^"]*)"[^>]*>(.*?)</mark>', html
    )


def draft_text(html: str, element_id: str = "indicator-text") -> str:
    """The raw text as the pieces carry it (reference marks left out), unescaped."""
    block = html.split(f'id="{element_id}"')[1].split("</div>")[0]
    pieces = re.findall(r"<(?:span|mark)[^>]*data-offset=\"\d+\"[^>]*>(.*?)</(?:span|mark)>", block)
    import html as html_module

    return html_module.unescape("".join(pieces))


def thread_html(html: str, comment_id: int) -> str:
    return html.split(f'id="comment-{comment_id}"')[1].split("</article>")[0]


@pytest.fixture
def member(client: TestClient, world: World) -> TestClient:
    log_in(client, world.member)
    return client


# --- Cutting the text where comments mark words ------------------------------------------------


def test_overlapping_and_nested_anchors_cut_the_text_at_every_boundary() -> None:
    text = "abcdefghij"
    pieces = segments(text, [Span(1, 2, 6), Span(2, 4, 8), Span(3, 4, 6), Span(4, 9, 99)])
    assert "".join(p.text for p in pieces) == text
    assert [(p.start, p.text, p.comment_ids, p.ending) for p in pieces] == [
        (0, "ab", (), ()),
        (2, "cd", (1,), ()),
        (4, "ef", (1, 2, 3), (1, 3)),
        (6, "gh", (2,), (2,)),
        (8, "ij", (), ()),
    ]
    assert segments("", [Span(1, 0, 1)]) == []
    thai = "ยึด📱โทรศัพท์"
    (before, phone) = segments(thai, [Span(7, 4, len(thai))])
    assert (before.text, phone.text, phone.start) == ("ยึด📱", "โทรศัพท์", 4)


# --- Commenting without JavaScript ---------------------------------------------------------------


def test_comment_on_typed_words_is_shown_beside_them_in_the_text(member: TestClient) -> None:
    page = member.get(ITEM).text
    fields = form_in(page, id="new-comment")
    assert fields["item"] == "FC-CD-01" and fields["kind"] == "general"
    # Maria speaks for two delegations: the one she acts for is chosen, and she may change it.
    assert fields["visibility"] == "group" and fields["delegation"] == "PH-ACWC"
    assert '<option value="PH-SOMTC">PH-SOMTC (Philippines - SOMTC)</option>' in page
    assert 'for="comment-quote">Quoted words (optional)' in page
    assert '<script src="/static/comments.js" defer></script>' in page

    response = comment(
        member,
        "Too narrow: tablets too.",
        quote="personal phone",
        kind="substantive",
        delegation="PH-SOMTC",
    )
    cid = new_id(response)
    assert response.headers["location"] == f"{ITEM}#comment-{cid}"

    html = member.get(ITEM).text
    assert marks(html) == [(str(cid), "personal phone")]
    assert f'id="indicator-text-words-12" data-offset="12" data-comments="{cid}"' in html
    assert draft_text(html) == TEXT  # the pieces are exactly the text
    assert f'<a class="comment-ref" href="#comment-{cid}"' in html
    thread = thread_html(html, cid)
    assert "Maria Santos (Philippines - SOMTC)" in thread  # Name (Delegation), as the exports
    assert '<mark class="quote-mark">personal phone</mark>' in thread
    assert "Substantive" in thread and "Whole group" in thread and ">Open<" in thread
    assert "02 Mar 2026 16:00 WIB" in thread
    assert "Too narrow: tablets too." in thread
    assert 'href="#indicator-text-words-12">Show these words in the text' in thread
    # The margin beside the text repeats it, Word-style.
    margin = html.split('class="comment-margin"')[1].split("</aside>")[0]
    assert f'href="#comment-{cid}">C-{cid}</a>' in margin and "“personal phone”" in margin


def test_comment_on_the_whole_item_and_on_a_section(member: TestClient) -> None:
    cid = new_id(comment(member, "Should this be two indicators?"))
    html = member.get(ITEM).text
    assert marks(html) == []
    assert "On the whole indicator." in thread_html(html, cid)

    fields = form_in(member.get("/sections/SEC-PURPOSE").text, id="new-comment")
    fields |= {"body": "Say who identifies them.", "quote": "presumed victims"}
    response = post(member, "/comments", fields)
    sid = new_id(response)
    assert response.headers["location"] == f"/sections/SEC-PURPOSE#comment-{sid}"
    html = member.get("/sections/SEC-PURPOSE").text
    assert marks(html) == [(str(sid), "presumed victims")]
    assert draft_text(html, "section-text") == "These indicators help identify presumed victims."


def test_overlapping_comments_split_the_highlight(
    member: TestClient, app: FastAPI, world: World
) -> None:
    first = new_id(comment(member, "One", quote="or personal phone"))
    budi = logged_in(app, world.member2)
    second = new_id(comment(budi, "Two", quote="personal phone taken"))
    html = member.get(ITEM).text
    assert marks(html) == [
        (f"{first}", "or "),
        (f"{first} {second}", "personal phone"),
        (f"{second}", " taken"),
    ]
    assert draft_text(html) == TEXT
    budi.close()


def test_offsets_sent_by_the_script_anchor_the_exact_occurrence(member: TestClient) -> None:
    # What comments.js sends: code-point offsets and the words, with the quote read-only.
    cid = new_id(comment(member, "Which operators?", quote="the operators", start="36", end="49"))
    assert marks(member.get(ITEM).text) == [(str(cid), "the operators")]
    # Words that no longer match the offsets (the text changed meanwhile) are refused, kept.
    stale = comment(member, "Keep me", quote="the recruiters", start="36", end="49")
    assert stale.status_code == 409
    assert '<a href="#comment-quote">The text changed since you selected the words' in stale.text
    assert "Keep me</textarea>" in stale.text


def test_a_refused_comment_comes_back_with_an_error_summary_and_the_text(
    member: TestClient,
) -> None:
    empty = comment(member, "   ", quote="personal phone")
    assert empty.status_code == 422
    assert "<title>Error: Comment on indicator FC-CD-01" in empty.text
    assert '<a href="#comment-body">Enter your comment</a>' in empty.text
    assert 'id="comment-body-error"' in empty.text
    assert "personal phone</textarea>" in empty.text

    missing = comment(member, "Where is it?", quote="identity card")
    assert missing.status_code == 422
    assert '<a href="#comment-quote">The words &#39;identity card&#39; are not in the text</a>' in (
        missing.text
    )
    assert "Where is it?</textarea>" in missing.text
    # The form on the error page posts again as it is, corrected.
    fields = form_in(missing.text, id="new-comment") | {"quote": "phone"}
    assert post(member, "/comments", fields).status_code == 303

    bad = comment(member, "Hm", kind="rant", visibility="everyone")
    assert bad.status_code == 422
    assert 'href="#comment-kind"' in bad.text and 'href="#comment-visibility"' in bad.text


# --- Replies, resolution, editing, withdrawal, answers ------------------------------------------


def test_reply_is_shown_in_order_and_notifies_the_author(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Too narrow", quote="personal phone"))
    budi = logged_in(app, world.member2)
    fields = form_in(budi.get(ITEM).text, action="/comments", class_="reply-form")
    assert fields["parent_id"] == str(cid) and fields["next"] == ITEM
    response = post(budi, "/comments", fields | {"body": "Agree: any device."})
    rid = new_id(response)
    assert response.headers["location"] == f"{ITEM}#comment-{rid}"
    second = post(budi, "/comments", fields | {"body": "And laptops."})
    assert second.status_code == 303

    thread = thread_html(member.get(ITEM).text, cid)
    replies = thread.split('class="replies"')[1]
    assert replies.index("Agree: any device.") < replies.index("And laptops.")
    assert "Budi Hartono (Indonesia - AICHR)" in replies

    # An empty reply comes back on the thread's page with the error beside the reply box.
    empty = post(budi, "/comments", fields | {"body": " "})
    assert empty.status_code == 422
    assert f'<a href="#reply-{cid}">Enter your reply</a>' in empty.text
    assert '<details class="comment-more" open>' in empty.text
    budi.close()

    top = member.get(ITEM).text
    assert re.search(r"Notifications <span class=\"badge\">\(2<", top)
    page = member.get("/notifications").text
    opens = re.search(
        r'href="(/notifications/\d+/open)">Budi Hartono replied to your comment '
        rf"C-{cid} on FC-CD-01 &#34;Passport or personal phone taken...&#34;</a>",
        page,
    )
    assert opens
    assert page.count('class="notification is-unread"') == 2
    one = form_in(page, class_="notification-read")
    note_id = re.search(r"/notifications/(\d+)/read", page)
    assert note_id
    read = post(member, f"/notifications/{note_id.group(1)}/read", one)
    assert read.status_code == 303
    page = member.get("/notifications").text
    assert page.count('class="notification is-unread"') == 1
    assert page.index("is-unread") < page.index('class="notification"')  # unread first
    everything = form_in(page, action="/notifications/read-all")
    assert post(member, "/notifications/read-all", everything).status_code == 303
    page = member.get("/notifications").text
    assert "is-unread" not in page and "Mark all as read" not in page
    assert 'class="badge"' not in page
    # The link in the notification opens the thread's own page.
    opened = member.get(opens.group(1), follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"].startswith(f"/comments/{cid}#comment-")
    thread_page = member.get(f"/comments/{cid}")
    assert thread_page.status_code == 200
    assert f"<h1>Comment C-{cid}</h1>" in thread_page.text
    assert "Agree: any device." in thread_page.text


def test_only_the_author_or_the_secretariat_resolve_and_reopen(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Too narrow", quote="personal phone"))
    budi = logged_in(app, world.member2)
    html = budi.get(ITEM).text
    assert f'action="/comments/{cid}/resolve"' not in html
    csrf = form_in(html, id="new-comment")["csrf_token"]
    refused = post(budi, f"/comments/{cid}/resolve", {"csrf_token": csrf})
    assert refused.status_code == 403
    assert "You cannot do this" in refused.text and "Only the author" in refused.text
    budi.close()

    fields = form_in(member.get(ITEM).text, action=f"/comments/{cid}/resolve")
    response = post(member, f"/comments/{cid}/resolve", fields)
    assert response.status_code == 303
    assert response.headers["location"] == f"{ITEM}#comment-{cid}"
    html = member.get(ITEM).text
    assert "Resolved by Maria Santos on 02 Mar 2026 16:00 WIB (UTC+7)." in thread_html(html, cid)
    assert marks(html) == []  # a resolved thread no longer marks the words
    again = post(member, f"/comments/{cid}/resolve", fields)
    assert again.status_code == 409 and "already resolved" in again.text

    sec = logged_in(app, world.secretariat)
    fields = form_in(sec.get(ITEM).text, action=f"/comments/{cid}/reopen")
    assert post(sec, f"/comments/{cid}/reopen", fields).status_code == 303
    sec.close()
    html = member.get(ITEM).text
    assert ">Open<" in thread_html(html, cid)
    assert marks(html) == [(str(cid), "personal phone")]


def test_author_edits_and_a_stale_version_keeps_the_text(member: TestClient, app: FastAPI) -> None:
    cid = new_id(comment(member, "Too narrow", quote="personal phone"))
    assert f'href="/comments/{cid}/edit?next=/indicators/FC-CD-01"' in member.get(ITEM).text
    edit_page = member.get(f"/comments/{cid}/edit?next={ITEM}").text
    fields = form_in(edit_page, action=f"/comments/{cid}/edit")
    assert fields["version"] == "1" and fields["body"] == "Too narrow"
    response = post(member, f"/comments/{cid}/edit", fields | {"body": "Too narrow: tablets."})
    assert response.status_code == 303
    assert response.headers["location"] == f"{ITEM}#comment-{cid}"
    thread = thread_html(member.get(ITEM).text, cid)
    assert "Too narrow: tablets." in thread and "edited 02 Mar 2026" in thread

    # The form still says version 1: saving it now would overwrite the edit above.
    stale = post(member, f"/comments/{cid}/edit", fields | {"body": "My other window"})
    assert stale.status_code == 412
    assert "Your change has not been saved yet" in stale.text
    assert "Too narrow: tablets.</blockquote>" in stale.text
    assert "My other window</textarea>" in stale.text
    again = form_in(stale.text, action=f"/comments/{cid}/edit")
    assert again["version"] == "2"
    assert post(member, f"/comments/{cid}/edit", again).status_code == 303
    assert "My other window" in member.get(ITEM).text

    empty = post(member, f"/comments/{cid}/edit", again | {"version": "3", "body": ""})
    assert empty.status_code == 422 and '<a href="#body">Enter your comment</a>' in empty.text


def test_another_member_cannot_edit_or_withdraw(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Mine", quote="personal phone"))
    budi = logged_in(app, world.member2)
    assert budi.get(f"/comments/{cid}/edit").status_code == 403
    html = budi.get(ITEM).text
    assert f"/comments/{cid}/edit" not in html and f"/comments/{cid}/withdraw" not in html
    csrf = form_in(html, id="new-comment")["csrf_token"]
    edit = post(budi, f"/comments/{cid}/edit", {"csrf_token": csrf, "version": "1", "body": "x"})
    assert edit.status_code == 403
    assert post(budi, f"/comments/{cid}/withdraw", {"csrf_token": csrf}).status_code == 403
    budi.close()
    assert "Mine" in member.get(ITEM).text


def test_author_withdraws_a_comment_which_stays_in_the_record(member: TestClient) -> None:
    cid = new_id(comment(member, "Second thoughts", quote="personal phone"))
    fields = form_in(member.get(ITEM).text, action=f"/comments/{cid}/withdraw")
    response = post(member, f"/comments/{cid}/withdraw", fields)
    assert response.status_code == 303
    html = member.get(ITEM).text
    thread = thread_html(html, cid)
    assert "Withdrawn by its author on 02 Mar 2026 16:00 WIB (UTC+7)." in thread
    assert "Second thoughts" not in thread
    assert '<span class="tag tag-grey">Withdrawn</span>' in thread
    assert 'class="reply-form"' not in thread and "/edit" not in thread
    assert marks(html) == []


def test_secretariat_answers_and_the_author_is_told(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Too narrow", quote="personal phone"))
    sec = logged_in(app, world.secretariat)
    html = sec.get(ITEM).text
    fields = form_in(html, action=f"/comments/{cid}/answer")
    empty = post(sec, f"/comments/{cid}/answer", fields | {"answer": ""})
    assert empty.status_code == 422
    assert f'<a href="#answer-{cid}">Enter the answer</a>' in empty.text
    response = post(sec, f"/comments/{cid}/answer", fields | {"answer": "Accepted: any device."})
    assert response.status_code == 303
    assert response.headers["location"] == f"{ITEM}#comment-{cid}"
    sec.close()

    thread = thread_html(member.get(ITEM).text, cid)
    assert "Answer from the secretariat" in thread and "Accepted: any device." in thread
    assert "Siti Secretariat" in thread and "Answered" in thread
    assert f'action="/comments/{cid}/answer"' not in thread  # members do not answer
    csrf = form_in(member.get(ITEM).text, id="new-comment")["csrf_token"]
    refused = post(member, f"/comments/{cid}/answer", {"csrf_token": csrf, "answer": "Me"})
    assert refused.status_code == 403
    assert "The secretariat answered your comment" in member.get("/notifications").text


# --- Who sees what ------------------------------------------------------------------------------


def test_visibility_of_comments_on_the_page(member: TestClient, app: FastAPI, world: World) -> None:
    own = new_id(comment(member, "PH internal note", visibility="delegation"))
    chairs = new_id(comment(member, "For the chairs", visibility="chairs_secretariat"))
    assert "My delegation only" in member.get(ITEM).text

    budi = logged_in(app, world.member2)  # Indonesia: neither
    html = budi.get(ITEM).text
    assert "PH internal note" not in html and "For the chairs" not in html
    assert budi.get(f"/comments/{own}").status_code == 404
    assert budi.get(f"/comments/{chairs}").status_code == 404
    budi.close()

    chair = logged_in(app, world.chair)
    html = chair.get(ITEM).text
    assert "For the chairs" in html and "PH internal note" not in html
    assert "Chairs and secretariat only" in thread_html(html, chairs)
    chair.close()

    sec = logged_in(app, world.secretariat)
    html = sec.get(ITEM).text
    # The secretariat speaks for no delegation: no "my delegation only" for it.
    assert 'value="delegation"' not in form_in_html(html, "new-comment")
    sec.close()


def form_in_html(html: str, form_id: str) -> str:
    return html.split(f'id="{form_id}"')[1].split("</form>")[0]


def test_observers_comment_only_when_the_round_invites_them(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    log_in(client, world.observer)
    html = client.get(ITEM).text
    assert 'id="new-comment"' not in html
    assert "Observers comment only in rounds that invite them to" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    fields = {
        "csrf_token": csrf.group(1),
        "item": "FC-CD-01",
        "body": "Expert view",
        "kind": "general",
        "visibility": "group",
    }
    refused = post(client, "/comments", fields)
    assert refused.status_code == 403
    assert "Observers may comment only in rounds that invite them" in refused.text

    sec = bearer(token_for(database, world.secretariat, clock.now))
    client.post(
        "/api/v1/rounds",
        json={"symbol": "ZD", "title": "Zero Draft", "observers_may_comment": True},
        headers=sec,
    )
    client.post("/api/v1/rounds/ZD/open", headers=sec)
    assert 'id="new-comment"' in client.get(ITEM).text
    assert post(client, "/comments", fields).status_code == 303


# --- The text changes under a comment -------------------------------------------------------------


def test_comment_whose_words_were_edited_away_keeps_its_quote(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Seized?", quote="taken"))
    kept = new_id(comment(member, "Which ones?", quote="operators"))
    sec = logged_in(app, world.secretariat)
    fields = register_edit(
        sec, "FC-CD-01", text="Passport or phone seized by the operators", reason="Agreed wording"
    )
    assert register_submit(sec, f"{ITEM}/edit", fields).status_code == 303
    sec.close()

    html = member.get(ITEM).text
    thread = thread_html(html, cid)
    assert "the words this comment was about are no longer in the text" in thread
    assert '<mark class="quote-mark is-gone">taken</mark>' in thread
    # The other comment moved with its words into revision 2.
    assert marks(html) == [(str(kept), "operators")]
    assert draft_text(html) == "Passport or phone seized by the operators"


# --- The comment-response table -----------------------------------------------------------------


def test_responses_table_lists_inputs_answers_them_and_escapes(
    member: TestClient, app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    evil = new_id(comment(member, "<script>alert(1)</script> too narrow", quote="personal phone"))
    formula = new_id(comment(member, '=HYPERLINK("http://evil","click")'))
    th = bearer(token_for(database, world.member3, clock.now))
    proposal = member.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport taken"},
            "rationale": "Shorter",
            "submit": True,
        },
        headers=th,
    )
    assert proposal.status_code == 201, proposal.text
    pid = proposal.json()["id"]

    for path in (ITEM, f"/comments/{evil}", "/responses"):
        html = member.get(path).text
        assert "<script>alert(1)" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; too narrow" in html, path
    html = member.get("/responses").text
    assert "<h1>Comment-response table</h1>" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; too narrow" in html
    assert f'<a href="/comments/{evil}">C-{evil}</a>' in html
    assert f'<a href="/proposals/{pid}">P-{pid}</a>' in html
    assert "PH-ACWC" in html and "TH-SOMTC" in html and "FC-CD-01" in html
    assert 'action="/responses/answer"' not in html  # members do not answer
    assert 'href="/api/v1/responses.csv"' in html

    sec = logged_in(app, world.secretariat)
    page = sec.get("/responses").text
    for reference in (f"C-{evil}", f"P-{pid}"):
        fields = form_in(page, action="/responses/answer", id_=f"answer-form-{reference}")
        assert fields["reference"] == reference
        response = post(sec, "/responses/answer", fields | {"answer": f"Noted {reference}"})
        assert response.status_code == 303
        assert response.headers["location"] == f"/responses#input-{reference}"
    empty = post(sec, "/responses/answer", fields | {"answer": ""})
    assert empty.status_code == 422
    assert f'<a href="#answer-P-{pid}">Enter the answer</a>' in empty.text
    sec.close()

    html = member.get("/responses").text
    assert f"Noted C-{evil}" in html and f"Noted P-{pid}" in html

    # The CSV link works with the session cookie, and is safe in a spreadsheet.
    download = member.get("/api/v1/responses.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil","click")' in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert f"C-{formula}" in cells


def test_responses_table_of_a_named_round(
    member: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    for symbol in ("DWG-FC/ZD", "DWG-FC/Rev.1"):
        member.post("/api/v1/rounds", json={"symbol": symbol, "title": symbol}, headers=sec)
    member.post("/api/v1/rounds/DWG-FC/Rev.1/open", headers=sec)
    new_id(comment(member, "In Rev.1"))
    current = member.get("/responses").text
    assert "DWG-FC/Rev.1" in current and "In Rev.1" in current
    assert 'href="/api/v1/responses.csv?round=DWG-FC%2FRev.1"' in current
    older = member.get("/responses", params={"round": "DWG-FC/ZD"}).text
    assert "In Rev.1" not in older and "No proposals or comments in DWG-FC/ZD yet." in older
    assert member.get("/responses", params={"round": "nope"}).status_code == 404


# --- Comments on a proposal -----------------------------------------------------------------------


def test_comments_on_a_proposal_and_its_partial(
    member: TestClient, app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    th = bearer(token_for(database, world.member3, clock.now))
    created = member.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport or any device taken"},
            "rationale": "Wider",
            "submit": True,
        },
        headers=th,
    )
    pid = created.json()["id"]
    form_page = member.get(f"/comments/new?proposal={pid}").text
    assert f"<h1>Comment on proposal P-{pid}</h1>" in form_page
    fields = form_in(form_page, id="new-proposal-comment")
    assert fields["proposal_id"] == str(pid)
    response = post(member, "/comments", fields | {"body": "Which devices?", "quote": "any device"})
    cid = new_id(response)
    assert response.headers["location"] == f"/proposals/{pid}#comment-{cid}"

    # The proposal page merges comments_on_proposal into its context and includes the partial.
    token = token_for(database, world.member, clock.now)
    with database.transaction(write=False) as s:
        principal = principal_for_token(s, token, now=clock.now)
        assert principal is not None
        context = comments_on_proposal(s, principal, pid)
        html = templates.get_template("_proposal_comments.html").render(
            context | {"principal": principal, "zone": "Asia/Jakarta"}
        )
    assert marks(html) == [(str(cid), "any device")]
    assert draft_text(html, "proposal-text") == "Passport or any device taken"
    assert "Which devices?" in html and 'id="new-proposal-comment"' in html

    # On the proposal page itself, where the redirect goes, with a reply from its thread.
    page = member.get(f"/proposals/{pid}").text
    assert marks(page) == [(str(cid), "any device")]
    reply = form_in(page, action="/comments", class_="reply-form") | {"body": "Phones, tablets."}
    assert reply["next"] == f"/proposals/{pid}"
    rid = new_id(post(member, "/comments", reply))
    assert f'id="comment-{rid}"' in member.get(f"/proposals/{pid}").text
    structure = _Structure()
    structure.feed(member.get(f"/proposals/{pid}").text)
    assert len(structure.ids) == len(set(structure.ids))


# --- Security and structure -----------------------------------------------------------------------


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.h1 += tag == "h1"
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label":
            self.label_for.add(a.get("for", ""))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a.get("id", "<no id>"))
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])


def test_comment_pages_have_one_heading_unique_ids_labels_and_live_links(
    member: TestClient, app: FastAPI, world: World
) -> None:
    cid = new_id(comment(member, "Too narrow", quote="personal phone"))
    new_id(comment(member, "Overlap", quote="phone taken"))
    sec = logged_in(app, world.secretariat)
    new_id(comment(sec, "Whole", page="/sections/SEC-PURPOSE"))
    for client, path in [
        (member, ITEM),
        (sec, ITEM),
        (sec, "/sections/SEC-PURPOSE"),
        (member, f"/comments/{cid}"),
        (sec, f"/comments/{cid}"),
        (member, f"/comments/{cid}/edit"),
        (member, "/comments/new?item=FC-CD-01"),
        (member, "/notifications"),
        (sec, "/responses"),
        (member, "/responses"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = _Structure()
        page.feed(response.text)
        assert page.h1 == 1, path
        assert len(page.ids) == len(set(page.ids)), (
            path,
            [i for i in page.ids if page.ids.count(i) > 1],
        )
        assert [c for c in page.controls if c not in page.label_for] == [], path
        assert [h for h in page.links if h not in page.ids] == [], path
    sec.close()
