"""A zero draft written in Word and circulated once by e-mail before the platform comes back
with the delegations' tracked changes and comments (issue 15, item 5): it is imported as it was
before the changes, each author's changes become proposals of the author's delegation, each
comment a comment, a table of strengths (Code / Adult / Child) fills the indicators' strength
fields, the title is kept, and what is not placed is listed with a reason. Files are written in
Word's own XML (w:ins / w:del with w:author, word/comments.xml, commentsExtended.xml)."""

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.db import Database
from app.imports.authored_plan import DelegationName, match_author
from app.models import AuditEvent, Comment, Delegation, Proposal, Role
from app.register import service as register
from app.rounds.export import MEDIA_TYPE
from app.word.authored import read_authored
from app.word.incoming import AuthoredChange
from app.word.reader import open_docx
from tests.factories import arranged, make_delegation, make_user
from tests.helpers import Clock, log_in
from tests.word_edits import LoEdit, edit_with_libreoffice

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
WHEN = "2026-03-05T08:00:00Z"
SECRETARIAT = "asec@asean.test"
TITLE = "Zero Draft: ASEAN Indicators of Trafficking for Forced Criminality"


# --- A draft in Word's own XML ----------------------------------------------------------------


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _ins(author: str, text: str, n: int) -> str:
    return f'<w:ins w:id="{n}" w:author="{author}" w:date="{WHEN}">{_r(text)}</w:ins>'


def _del(author: str, text: str, n: int) -> str:
    return (
        f'<w:del w:id="{n}" w:author="{author}" w:date="{WHEN}"><w:r>'
        f'<w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'
    )


def _commented(cid: int, text: str) -> str:
    return (
        f'<w:commentRangeStart w:id="{cid}"/>{_r(text)}<w:commentRangeEnd w:id="{cid}"/>'
        f'<w:r><w:commentReference w:id="{cid}"/></w:r>'
    )


def _p(style: str, content: str, mark: str = "") -> str:
    """A paragraph; `mark` a tracked change of its paragraph mark (w:ins / w:del)."""
    rpr = f"<w:rPr>{mark}</w:rPr>" if mark else ""
    return f'<w:p xmlns:w="{W_NS}"><w:pPr><w:pStyle w:val="{style}"/>{rpr}</w:pPr>{content}</w:p>'


def _cell(content: str) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="2000" w:type="dxa"/></w:tcPr><w:p>{content}</w:p></w:tc>'


def _table(rows: list[list[str]]) -> str:
    body = "".join("<w:tr>" + "".join(_cell(c) for c in row) + "</w:tr>" for row in rows)
    return f'<w:tbl xmlns:w="{W_NS}"><w:tblPr/><w:tblGrid/>{body}</w:tbl>'


COMMENTS = [
    # (id, author, text, paraId, parent paraId)
    (0, "Maria Santos", "Does this include a work phone?", "00000A01", None),
    (1, "Malaysia (AICHR)", "Yes, any phone.", "00000A02", "00000A01"),
    (2, "TH-SOMTC", "Say who the operators are.", "00000A03", None),
    (3, "Thailand - SOMTC", "A comment on the heading only.", "00000A04", None),
]


def word_draft() -> bytes:
    """The zero draft as it came back by e-mail, in Word's own XML."""
    d = docx.Document()
    d.core_properties.title = "core title (not used: the Title paragraph wins)"
    body = d.element.body
    para = [
        _p("Title", _r(TITLE)),
        _p("Heading1", _r("Purpose")),
        _p(
            "Normal",
            _r("These indicators help identify presumed victims")
            + _ins("Malaysia - AICHR", " of trafficking", 10)
            + _r("."),
        ),
        _p("Heading1", _commented(3, "Control at destination (CD)")),
        _p(
            "ListNumber",
            _r("FC-CD-01: Passport or ")
            + '<w:commentRangeStart w:id="0"/><w:commentRangeStart w:id="1"/>'
            + _r("personal phone")
            + '<w:commentRangeEnd w:id="0"/><w:commentRangeEnd w:id="1"/>'
            + '<w:r><w:commentReference w:id="0"/></w:r><w:r><w:commentReference w:id="1"/></w:r>'
            + _r(" confiscated by the ")
            + _commented(2, "operators"),
        ),
        _p(
            "ListNumber",
            _r("FC-CD-02: Confined to a ")
            + _del("MY-AICHR", "guarded", 11)
            + _ins("MY-AICHR", "fenced", 12)
            + _r(" compound"),
        ),
        _p(
            "ListNumber",
            _del("Philippines - SOMTC", "FC-CD-03: Forced to recruit others", 13),
            f'<w:del w:id="14" w:author="Philippines - SOMTC" w:date="{WHEN}"/>',
        ),
        _p(
            "ListNumber",
            _ins("Maria Santos", "Fined for missing daily targets", 15),
            f'<w:ins w:id="16" w:author="Maria Santos" w:date="{WHEN}"/>',
        ),
        _p("Heading1", _r("Strength of the indicators")),
    ]
    table = _table(
        [
            [_r("Code"), _r("Adult"), _r("Child")],
            [_r("FC-CD-01"), _r("strong"), _r("strong")],
            [
                _r("FC-CD-02"),
                _del("MY-AICHR", "medium", 17) + _ins("MY-AICHR", "strong", 18),
                _r("strong"),
            ],
            [_r("FC-CD-03"), _r("weak"), _r("medium")],
            [_r("FC-XX-09"), _r("weak"), _r("weak")],
        ]
    )
    sect = body[-1]  # w:sectPr stays last
    for xml in [*para, table]:
        sect.addprevious(etree.fromstring(xml))
    out = io.BytesIO()
    d.save(out)
    return with_comments(out.getvalue(), COMMENTS)


def with_comments(data: bytes, comments: list[tuple[int, str, str, str, str | None]]) -> bytes:
    """The package with word/comments.xml and word/commentsExtended.xml added, as Word writes
    them (relationships and content types included)."""
    notes = "".join(
        f'<w:comment w:id="{cid}" w:author="{author}" w:date="{WHEN}" w:initials="X">'
        f'<w:p w14:paraId="{para}"><w:r><w:t>{text}</w:t></w:r></w:p></w:comment>'
        for cid, author, text, para, _ in comments
    )
    extended = "".join(
        f'<w15:commentEx w15:paraId="{para}"'
        + (f' w15:paraIdParent="{parent}"' if parent else "")
        + ' w15:done="0"/>'
        for _, _, _, para, parent in comments
    )
    parts = {
        "word/comments.xml": (
            f'<w:comments xmlns:w="{W_NS}" xmlns:w14="{W14_NS}">{notes}</w:comments>',
            "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments",
        ),
        "word/commentsExtended.xml": (
            f'<w15:commentsEx xmlns:w15="{W15_NS}">{extended}</w15:commentsEx>',
            "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml",
            "http://schemas.microsoft.com/office/2011/relationships/commentsExtended",
        ),
    }
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                extra = "".join(
                    f'<Override PartName="/{name}" ContentType="{ct}"/>'
                    for name, (_, ct, _) in parts.items()
                )
                content = content.replace(b"</Types>", extra.encode() + b"</Types>")
            elif info.filename == "word/_rels/document.xml.rels":
                extra = "".join(
                    f'<Relationship Id="rIdZd{n}" Type="{rt}" Target="{name[5:]}"/>'
                    for n, (name, (_, _, rt)) in enumerate(parts.items())
                )
                content = content.replace(b"</Relationships>", extra.encode() + b"</Relationships>")
            target.writestr(info, content)
        for name, (xml, _, _) in parts.items():
            target.writestr(name, xml)
    return out.getvalue()


# --- Reading ----------------------------------------------------------------------------------


def test_the_draft_is_read_as_before_the_changes_with_each_change_by_its_author() -> None:
    found = read_authored(open_docx(word_draft(), "zero draft.docx"))
    assert found.title == TITLE
    (purpose,) = found.sections
    assert (purpose.title, purpose.text) == (
        "Purpose",
        "These indicators help identify presumed victims.",
    )
    (cd,) = found.dimensions
    assert (cd.title, cd.code) == ("Control at destination", "CD")
    # The text before the changes: "guarded", FC-CD-03 still there, no new indicator; the
    # table of strengths filled the strength fields (FC-CD-02 "medium" before MY-AICHR's change).
    assert [(i.code, i.text, i.strength_adult, i.strength_child) for i in cd.indicators] == [
        ("FC-CD-01", "Passport or personal phone confiscated by the operators", "strong", "strong"),
        ("FC-CD-02", "Confined to a guarded compound", "medium", "strong"),
        ("FC-CD-03", "Forced to recruit others", "weak", "medium"),
    ]
    when = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    assert set(found.changes) == {
        AuthoredChange(
            "Malaysia - AICHR",
            "amend",
            "section",
            "paragraph 2",
            (("text", "These indicators help identify presumed victims of trafficking."),),
            date=when,
        ),
        AuthoredChange(
            "MY-AICHR",
            "amend",
            "indicator",
            "paragraph 6",
            (("text", "Confined to a fenced compound"), ("strength_adult", "strong")),
            date=when,
        ),
        AuthoredChange("Philippines - SOMTC", "delete", "indicator", "paragraph 7", (), date=when),
        AuthoredChange(
            "Maria Santos",
            "add",
            "indicator",
            "paragraph 8",
            (("text", "Fined for missing daily targets"),),
            dimension="Control at destination",
            after="paragraph 7",
            date=when,
        ),
    }
    threads = {c.text: c for c in found.comments}
    phone = threads["Does this include a work phone?"]
    assert (phone.author, phone.quote, phone.target_kind, phone.target, phone.field) == (
        "Maria Santos",
        "personal phone",
        "indicator",
        "paragraph 5",
        "text",
    )
    assert [(r.author, r.text) for r in phone.replies] == [("Malaysia (AICHR)", "Yes, any phone.")]
    operators = threads["Say who the operators are."]
    assert (operators.author, operators.quote, operators.target) == (
        "TH-SOMTC",
        "operators",
        "paragraph 5",
    )
    assert threads["A comment on the heading only."].target is None
    # Everything not placed is listed with a reason.
    assert any(
        line.startswith("table 1 row 5: FC-XX-09 | weak | weak: no indicator of the draft")
        for line in found.unplaced
    )
    assert any(
        "Thailand - SOMTC" in line and "dimension 'Control at destination'" in line
        for line in found.unplaced
    )
    assert found.authors == (
        "Malaysia - AICHR",
        "MY-AICHR",
        "Philippines - SOMTC",
        "Maria Santos",
        "TH-SOMTC",
        "Thailand - SOMTC",
        "Malaysia (AICHR)",
    )


NAMES = [
    DelegationName("MY-AICHR", "MY", "Malaysia", "AICHR", "Commission on Human Rights", None),
    DelegationName("PH-SOMTC", "PH", "Philippines", "SOMTC", "Officials on Crime", None),
    DelegationName("PH-ACWC", "PH", "Philippines", "ACWC", "Women and Children", None),
    DelegationName("VN-SOMTC", "VN", "Viet Nam", "SOMTC", "Officials on Crime", None),
    DelegationName("LA-SOMTC", "LA", "Lao PDR", "SOMTC", "Officials on Crime", None),
]


@pytest.mark.parametrize(
    ("written", "delegation"),
    [
        ("Malaysia - AICHR", "MY-AICHR"),
        ("MY-AICHR", "MY-AICHR"),
        ("Malaysia (AICHR)", "MY-AICHR"),
        ("AICHR – Malaysia", "MY-AICHR"),
        ("malaysia", "MY-AICHR"),  # the state's only delegation
        ("Philippines - SOMTC", "PH-SOMTC"),
        ("Maria Santos (PH-ACWC)", "PH-ACWC"),
        ("Vietnam SOMTC", "VN-SOMTC"),
        ("Laos", "LA-SOMTC"),
        ("ASEAN Secretariat", "secretariat"),
        ("Philippines", None),  # two delegations: the secretariat chooses
        ("Malaysia - SOMTC", None),  # Malaysia has no SOMTC delegation
        ("Maria Santos", None),
        ("my comments", None),  # "my" is a word, not Malaysia's code
        ("", None),
    ],
)
def test_authors_are_mapped_to_delegations_by_state_and_body(
    written: str, delegation: str | None
) -> None:
    assert match_author(written, NAMES) == delegation


# --- Importing, as the secretariat does it ----------------------------------------------------


@pytest.fixture
def delegations(database: Database, clock: Clock) -> None:
    """An empty register, three delegations and one secretariat officer."""
    with arranged(database) as s:
        make_delegation(s, ("MY", "Malaysia"), ("AICHR", "Intergovernmental Commission on HR"))
        make_delegation(s, ("PH", "Philippines"), ("SOMTC", "Senior Officials Meeting on TC"))
        make_delegation(s, ("TH", "Thailand"), ("SOMTC", "Senior Officials Meeting on TC"))
        make_user(s, SECRETARIAT, Role.SECRETARIAT, now=clock.now, name="Siti Secretariat")


def _form_version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found.group(1)


def test_the_secretariat_maps_an_unknown_author_and_confirms_on_the_import_page(
    client: TestClient, database: Database, clock: Clock, delegations: None
) -> None:
    csrf = log_in(client, SECRETARIAT)
    uploaded = client.post(
        "/imports",
        data={"csrf_token": csrf},
        files={"file": ("zero draft.docx", word_draft(), MEDIA_TYPE)},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    location = uploaded.headers["location"]
    page = client.get(location).text
    # The preview: the title, each proposal and comment with its author as written in the file
    # and the delegation it is for, a choice per author, and what is not placed, with why.
    assert f"<strong>{TITLE}</strong>" in page
    assert "By MY-AICHR (in the file), for MY-AICHR" in page
    assert "By Philippines - SOMTC (in the file), for PH-SOMTC" in page
    assert "By Maria Santos (in the file), for a delegation the secretariat chooses" in page
    assert "Delete FC-CD-03" in page and "New indicator in Control at destination" in page
    assert "“personal phone”" in page and "Yes, any phone." in page
    assert re.search(r'<select name="author-3" id="author-3" required>', page)
    assert "FC-XX-09" in page and "so these values fill nothing" in page
    assert "a dimension heading" not in page  # nobody changed a heading
    assert "A comment on the heading only." in page and "is on no indicator or section" in page

    # Confirming without saying who Maria Santos is: refused, beside her field; nothing made.
    authors = {f"author-{n}": "" for n in range(7)}
    refused = client.post(
        f"{location}/confirm",
        data={"csrf_token": csrf, "version": _form_version(page)} | authors,
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'href="#author-3"' in refused.text and "say who Maria Santos is" in refused.text
    with database.transaction(write=False) as s:
        assert s.scalars(select(Proposal)).all() == []

    done = client.post(
        f"{location}/confirm",
        data={"csrf_token": csrf, "version": _form_version(page)}
        | authors
        | {"author-3": "TH-SOMTC"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    result = client.get(done.headers["location"]).text
    assert "(in the file: Maria Santos)" in result and "(in the file: MY-AICHR)" in result

    with database.transaction(write=False) as s:
        codes = {d.id: d.code for d in s.scalars(select(Delegation))}
        # The register holds the text as it was before the changes, strengths from the table.
        two = register.current(s, "FC-CD-02").revision
        assert (two.text, two.strength_adult.value, two.strength_child.value) == (  # type: ignore[union-attr]
            "Confined to a guarded compound",
            "medium",
            "strong",
        )
        assert register.current(s, "FC-CD-03").revision.text == "Forced to recruit others"
        purpose = register.current(s, "SEC-PURPOSE").revision
        assert purpose.text == "These indicators help identify presumed victims."
        made = {
            (codes[p.delegation_id], p.kind.value): p for p in s.scalars(select(Proposal)).all()
        }
        assert set(made) == {
            ("MY-AICHR", "amend"),  # the section, and FC-CD-02
            ("PH-SOMTC", "delete"),
            ("TH-SOMTC", "add"),  # Maria Santos, mapped in the preview
        }
        mine = [
            p for p in s.scalars(select(Proposal)).all() if codes[p.delegation_id] == "MY-AICHR"
        ]
        assert sorted((p.content for p in mine), key=str) == sorted(
            [
                {"text": "These indicators help identify presumed victims of trafficking."},
                {"text": "Confined to a fenced compound", "strength_adult": "strong"},
            ],
            key=str,
        )
        assert all(p.state.value == "submitted" for p in made.values())
        assert made[("TH-SOMTC", "add")].content["text"] == "Fined for missing daily targets"
        assert made[("TH-SOMTC", "add")].dimension_code == "CD"
        # Placed where Maria Santos put it: after FC-CD-03.
        follows = made[("TH-SOMTC", "add")].after_item_id
        assert follows == register.get_item(s, "FC-CD-03").id
        # The comments, for their authors' delegations, on the words they quote.
        comments = {c.body: c for c in s.scalars(select(Comment)).all()}
        phone = comments["Does this include a work phone?"]
        assert (codes[phone.delegation_id], phone.quote, phone.field) == (  # type: ignore[index]
            "TH-SOMTC",
            "personal phone",
            "text",
        )
        assert phone.written_by == "Maria Santos"  # the Word author, beside the delegation
        reply = comments["Yes, any phone."]
        assert reply.written_by == "Malaysia (AICHR)"
        assert (reply.parent_id, codes[reply.delegation_id]) == (phone.id, "MY-AICHR")  # type: ignore[index]
        assert codes[comments["Say who the operators are."].delegation_id] == "TH-SOMTC"  # type: ignore[index]
        assert "A comment on the heading only." not in comments
        # The Word author's name as written is kept in the audit trail.
        written = {
            e.details.get("word_author")
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "word_import.created"))
        }
        assert {"Maria Santos", "MY-AICHR", "Malaysia (AICHR)", "Philippines - SOMTC"} <= written


# --- The command line -----------------------------------------------------------------------

runner = CliRunner()


def test_dry_run_lists_each_proposal_and_comment_with_its_author_as_written(
    db_url: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    path = tmp_path / "zero draft.docx"
    path.write_bytes(word_draft())
    result = runner.invoke(cli_app, ["import", str(path), "--dry-run", "--database", db_url])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("1 dimensions, 3 indicators, 1 sections, 4 proposals, 3 comments new")
    assert f"  title {TITLE!r}" in lines
    assert "  proposal: amend SEC-PURPOSE by 'Malaysia - AICHR' (MY-AICHR)" not in lines
    proposals = [line for line in lines if line.startswith("  proposal: ")]
    assert proposals == [
        "  proposal: amend section 'Purpose' by 'Malaysia - AICHR' (MY-AICHR)",
        "  proposal: amend FC-CD-02 by 'MY-AICHR' (MY-AICHR)",
        "  proposal: delete FC-CD-03 by 'Philippines - SOMTC' (PH-SOMTC)",
        "  proposal: add new indicator in Control at destination by 'Maria Santos' "
        "(unknown: choose a delegation with --author, or it is left out)",
    ]
    assert "    text: Confined to a [-guarded-]{+fenced+} compound" in lines
    assert "    strength_adult: [-medium-]{+strong+}" in lines
    comments = [line for line in lines if line.startswith(("  comment on", "    reply by"))]
    assert comments == [
        "  comment on FC-CD-01 on 'personal phone' by 'Maria Santos' (unknown: choose a "
        "delegation with --author, or it is left out): Does this include a work phone?",
        "    reply by 'Malaysia (AICHR)' (MY-AICHR): Yes, any phone.",
        "  comment on FC-CD-01 on 'operators' by 'TH-SOMTC' (TH-SOMTC): Say who the operators are.",
    ]
    assert any("could not place: comment by Thailand - SOMTC" in line for line in lines)
    assert lines[-1] == "dry run: nothing was changed"
    with database.transaction(write=False) as s:
        assert s.scalars(select(Proposal)).all() == []


def test_the_command_imports_with_authors_mapped_by_option(
    db_url: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    path = tmp_path / "zero draft.docx"
    path.write_bytes(word_draft())
    result = runner.invoke(
        cli_app,
        ["import", str(path), "--author", "Maria Santos=skip", "--database", db_url],
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "for MY-AICHR, by 'MY-AICHR' in the file" in out
    assert (
        "left out: tracked change (add new indicator in Control at destination) by Maria "
        "Santos: the secretariat chose to leave this author out"
    ) in out
    with database.transaction(write=False) as s:
        kinds = sorted(p.kind.value for p in s.scalars(select(Proposal)).all())
        assert kinds == ["amend", "amend", "delete"]
        assert {c.body for c in s.scalars(select(Comment)).all()} == {
            "Yes, any phone.",
            "Say who the operators are.",
        }


# --- The same draft, edited and saved by LibreOffice -----------------------------------------


def clean_draft() -> bytes:
    d = docx.Document()
    d.add_paragraph(TITLE, style="Title")
    d.add_heading("Purpose", level=1)
    d.add_paragraph("These indicators help identify presumed victims.")
    d.add_heading("Control at destination (CD)", level=1)
    for text in (
        "FC-CD-01: Passport or personal phone confiscated by the operators",
        "FC-CD-02: Confined to a guarded compound",
        "FC-CD-03: Forced to recruit others",
    ):
        d.add_paragraph(text, style="List Number")
    d.add_heading("Strength of the indicators", level=1)
    table = d.add_table(rows=1, cols=3)
    for cell, header in zip(table.rows[0].cells, ("Code", "Adult", "Child"), strict=True):
        cell.text = header
    for row in (("FC-CD-01", "strong", "strong"), ("FC-CD-02", "medium", "strong")):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_a_draft_edited_and_saved_by_libreoffice_keeps_each_authors_input(
    db_url: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    (edited,) = edit_with_libreoffice(
        [clean_draft()],
        [
            [
                LoEdit("replace", "guarded", "fenced", author="Malaysia - AICHR"),
                LoEdit("comment", "personal phone", "Work phones too?", author="Maria Santos"),
                LoEdit("delete", "Forced to recruit others", author="Philippines (SOMTC)"),
                LoEdit(
                    "paragraph",
                    "by the operators",
                    "Fined for missing daily targets",
                    author="TH-SOMTC",
                ),
                LoEdit("replace", "medium", "strong", author="MY-AICHR"),
            ]
        ],
    )
    found = read_authored(open_docx(edited, "zero draft.docx"))
    assert found.title == TITLE
    (cd,) = found.dimensions
    assert [(i.code, i.text, i.strength_adult, i.strength_child) for i in cd.indicators] == [
        ("FC-CD-01", "Passport or personal phone confiscated by the operators", "strong", "strong"),
        ("FC-CD-02", "Confined to a guarded compound", "medium", "strong"),
        ("FC-CD-03", "Forced to recruit others", None, None),
    ]
    changes = {(c.author, c.kind, c.fields) for c in found.changes}
    assert changes == {
        ("Malaysia - AICHR", "amend", (("text", "Confined to a fenced compound"),)),
        ("Philippines (SOMTC)", "delete", ()),
        ("TH-SOMTC", "add", (("text", "Fined for missing daily targets"),)),
        ("MY-AICHR", "amend", (("strength_adult", "strong"),)),
    }
    (comment,) = found.comments
    assert (comment.author, comment.text, comment.quote, comment.target) == (
        "Maria Santos",
        "Work phones too?",
        "personal phone",
        cd.indicators[0].source,
    )

    path = tmp_path / "zero draft (LibreOffice).docx"
    path.write_bytes(edited)
    result = runner.invoke(cli_app, ["import", str(path), "--dry-run", "--database", db_url])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  proposal: amend FC-CD-02 by 'Malaysia - AICHR' (MY-AICHR)" in lines
    assert "  proposal: amend FC-CD-02 by 'MY-AICHR' (MY-AICHR)" in lines
    assert "  proposal: delete FC-CD-03 by 'Philippines (SOMTC)' (PH-SOMTC)" in lines
    assert (
        "  proposal: add new indicator in Control at destination by 'TH-SOMTC' (TH-SOMTC)" in lines
    )
    assert (
        "  comment on FC-CD-01 on 'personal phone' by 'Maria Santos' (unknown: choose a "
        "delegation with --author, or it is left out): Work phones too?"
    ) in lines


def test_an_author_mapped_to_the_secretariat_is_the_drafter(
    db_url: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    path = tmp_path / "zero draft.docx"
    path.write_bytes(word_draft())
    result = runner.invoke(
        cli_app,
        [
            "import",
            str(path),
            "--author",
            "Maria Santos=secretariat",
            "--author",
            "MY-AICHR=secretariat",
            "--database",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.stderr
    with database.transaction(write=False) as s:
        # The secretariat's own changes are new revisions and items of the register ...
        two = register.current(s, "FC-CD-02").revision
        assert (two.number, two.text, two.strength_adult.value) == (  # type: ignore[union-attr]
            2,
            "Confined to a fenced compound",
            "strong",
        )
        assert register.current(s, "FC-CD-04").revision.text == "Fined for missing daily targets"
        # ... the delegations' are still their proposals, and the comment is the secretariat's.
        codes = {d.id: d.code for d in s.scalars(select(Delegation))}
        assert sorted(
            (codes[p.delegation_id], p.kind.value) for p in s.scalars(select(Proposal))
        ) == [
            ("MY-AICHR", "amend"),
            ("PH-SOMTC", "delete"),
        ]
        phone = s.scalar(select(Comment).where(Comment.body == "Does this include a work phone?"))
        assert phone is not None and phone.delegation_id is None
        assert phone.written_by == "Maria Santos"


def test_the_api_confirms_with_authors_named_in_the_body(
    client: TestClient, database: Database, clock: Clock, delegations: None
) -> None:
    from tests.factories import bearer, token_for

    headers = bearer(token_for(database, SECRETARIAT, clock.now))
    read = client.post(
        "/api/v1/imports",
        files={"file": ("zero draft.docx", word_draft(), MEDIA_TYPE)},
        headers=headers,
    )
    assert read.status_code == 201, read.text
    preview = read.json()["preview"]
    assert [(a["name"], a["delegation"]) for a in preview["authors"]][2:4] == [
        ("Philippines - SOMTC", "PH-SOMTC"),
        ("Maria Santos", None),
    ]
    wrong = client.post(
        f"/api/v1/imports/{read.json()['id']}/confirm",
        json={"authors": {"Maria Santos": "XX-NOBODY"}},
        headers=headers | {"If-Match": read.headers["ETag"]},
    )
    assert wrong.status_code == 422 and "'XX-NOBODY' is no delegation" in wrong.text
    done = client.post(
        f"/api/v1/imports/{read.json()['id']}/confirm",
        json={"authors": {"Maria Santos": "PH-SOMTC", "TH-SOMTC": "skip"}},
        headers=headers | {"If-Match": read.headers["ETag"]},
    )
    assert done.status_code == 200, done.text
    created = done.json()["created"]
    assert {(p["what"], p["author"], p["delegation"]) for p in created["proposals"]} == {
        ("amend SEC-PURPOSE", "Malaysia - AICHR", "MY-AICHR"),
        ("amend FC-CD-02", "MY-AICHR", "MY-AICHR"),
        ("delete FC-CD-03", "Philippines - SOMTC", "PH-SOMTC"),
        ("add new indicator in Control at destination", "Maria Santos", "PH-SOMTC"),
    }
    assert [(c["author"], c["delegation"]) for c in created["comments"]] == [
        ("Maria Santos", "PH-SOMTC"),
        ("Malaysia (AICHR)", "MY-AICHR"),
    ]
    assert created["skipped"] == [
        "comment on FC-CD-01 by TH-SOMTC: the secretariat chose to leave this author out"
    ]
    assert created["title"] == TITLE


# --- A draft on a register that already holds its items (review D1, D3) -----------------------

REGISTER_PURPOSE = (
    "These indicators help identify presumed victims of trafficking for forced criminality.\n"
    "They are not a checklist: one indicator alone proves nothing.\n"
    "They are read with the guidance of each indicator."
)


def _draft_of(*paragraphs: str) -> bytes:
    d = docx.Document()
    body = d.element.body
    sect = body[-1]
    for xml in paragraphs:
        sect.addprevious(etree.fromstring(xml))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


@pytest.fixture
def purpose_in_register(database: Database, clock: Clock, delegations: None) -> None:
    """The register already holds 'Purpose and scope' as SEC-PURPOSE, three paragraphs, and a
    fourth delegation, Thailand's AICHR."""
    from app.audit.service import Actor
    from app.models import ItemKind

    with arranged(database) as s:
        make_delegation(s, ("TH", "Thailand"), ("AICHR", "Intergovernmental Commission on HR"))
        register.create_item(
            s,
            Actor.system("test"),
            kind=ItemKind.SECTION,
            content={"title": "Purpose and scope", "text": REGISTER_PURPOSE},
            reason="Zero Draft text",
            now=clock.now,
            code="SEC-PURPOSE",
        )


def _import(db_url: str, tmp_path: Path, data: bytes, *options: str) -> list[str]:
    path = tmp_path / "zero draft.docx"
    path.write_bytes(data)
    result = runner.invoke(cli_app, ["import", str(path), *options, "--database", db_url])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_a_change_on_a_section_whose_draft_wording_differs_puts_no_words_in_the_author_mouth(
    db_url: str, database: Database, purpose_in_register: None, tmp_path: Path
) -> None:
    """The draft's 'Purpose and scope' is one line the register does not hold; Thailand - AICHR
    only inserted one sentence after it. The sentence cannot be placed in the register's three
    paragraphs: no proposal is made that would strike them through and underline the draft's
    line; the change and the draft's own wording are listed as not placed, with why."""
    data = _draft_of(
        _p("Heading1", _r("Purpose and scope")),
        _p(
            "Normal",
            _r("The draft is short.")
            + _ins("Thailand - AICHR", " They apply to adults and to children.", 20),
        ),
    )
    lines = _import(db_url, tmp_path, data, "--dry-run")
    assert "  section 'Purpose and scope' (exists as SEC-PURPOSE)" in lines
    assert not [line for line in lines if line.startswith("  proposal: ")]
    placed = [line for line in lines if line.startswith("  could not place: ")]
    assert any(
        "tracked change by Thailand - AICHR" in line
        and "the draft's text of SEC-PURPOSE before the changes differs from the register's, "
        "and the change does not apply to the register's text; left out"
        in line
        for line in placed
    ), placed
    assert any(
        "section 'Purpose and scope' (SEC-PURPOSE)" in line
        and "the draft's wording differs from the register's" in line
        and "The draft is short." in line
        for line in placed
    ), placed

    lines = _import(db_url, tmp_path, data)
    with database.transaction(write=False) as s:
        assert s.scalars(select(Proposal)).all() == []
        assert register.current(s, "SEC-PURPOSE").revision.text == REGISTER_PURPOSE
    assert any("could not place: tracked change by Thailand - AICHR" in line for line in lines)


def test_a_change_on_a_section_whose_draft_wording_differs_is_applied_to_the_register_text(
    db_url: str, database: Database, purpose_in_register: None, tmp_path: Path
) -> None:
    """The draft holds only the first of the register's three paragraphs; Thailand - AICHR
    inserted one sentence after it. The proposal is the register's text with that sentence in
    it, so the compilation shows the one sentence underlined and nothing struck through."""
    first = "These indicators help identify presumed victims of trafficking for forced criminality."
    data = _draft_of(
        _p("Heading1", _r("Purpose and scope")),
        _p(
            "Normal",
            _r(first) + _ins("Thailand - AICHR", " They apply to adults and to children.", 20),
        ),
    )
    lines = _import(db_url, tmp_path, data, "--dry-run")
    assert "  proposal: amend SEC-PURPOSE by 'Thailand - AICHR' (TH-AICHR)" in lines
    at = lines.index("  proposal: amend SEC-PURPOSE by 'Thailand - AICHR' (TH-AICHR)")
    # Shown against the register's text: the one sentence inserted, nothing struck through.
    assert lines[at + 1] == (
        f"    text: {first}{{+ They apply to adults and to children.+}}"
        "\\nThey are not a checklist: one indicator alone proves nothing."
        "\\nThey are read with the guidance of each indicator."
    )
    # The draft's wording (two paragraphs fewer) is said, not silently dropped.
    assert any(
        "could not place: section 'Purpose and scope' (SEC-PURPOSE)" in line for line in lines
    )

    _import(db_url, tmp_path, data)
    with database.transaction(write=False) as s:
        (proposal,) = s.scalars(select(Proposal)).all()
        assert proposal.content == {
            "text": REGISTER_PURPOSE.replace(
                first, first + " They apply to adults and to children."
            )
        }
        assert register.current(s, "SEC-PURPOSE").revision.text == REGISTER_PURPOSE


def test_the_preview_and_dry_run_use_the_authors_given_by_option(
    db_url: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    lines = _import(
        db_url,
        tmp_path,
        word_draft(),
        "--dry-run",
        "--author",
        "Maria Santos=TH-SOMTC",
        "--author",
        "MY-AICHR=secretariat",
        "--author",
        "TH-SOMTC=skip",
    )
    assert "  author 'Maria Santos': TH-SOMTC" in lines
    assert "  author 'MY-AICHR': the secretariat" in lines
    assert "  author 'TH-SOMTC': left out" in lines
    assert (
        "  proposal: add new indicator in Control at destination by 'Maria Santos' (TH-SOMTC)"
        in lines
    )
    assert "  proposal: amend FC-CD-02 by 'MY-AICHR' (the secretariat)" in lines
    assert (
        "  comment on FC-CD-01 on 'personal phone' by 'Maria Santos' (TH-SOMTC): "
        "Does this include a work phone?"
    ) in lines
    assert not any("unknown: choose a delegation" in line for line in lines)
    assert lines[-1] == "dry run: nothing was changed"
    # A mapping the confirmation would refuse is refused by the dry run too.
    path = tmp_path / "zero draft.docx"
    result = runner.invoke(
        cli_app,
        [
            "import",
            str(path),
            "--dry-run",
            "--author",
            "Maria Santos=XX-NOBODY",
            "--database",
            db_url,
        ],
    )
    assert result.exit_code != 0
    assert "'XX-NOBODY' is no delegation" in result.stdout + result.stderr


def test_a_change_on_an_indicator_the_register_words_otherwise_is_made_on_the_register_text(
    db_url: str, database: Database, clock: Clock, delegations: None, tmp_path: Path
) -> None:
    """FC-CD-01 in the register reads longer than in the draft and is 'strong' for adults, the
    draft's table says 'medium'. MY-AICHR changed 'guarded' to 'fenced' and 'medium' to 'weak':
    the word change is proposed on the register's text; the strength change, made on a value
    the register does not hold, is not placed, and says so; so does the draft's wording."""
    from tests.factories import make_dimension, make_indicator

    with arranged(database) as s:
        make_dimension(s, "CD", "Control at destination", 1)
        code = make_indicator(
            s,
            "CD",
            "Confined to a guarded compound under armed watch",
            now=clock.now,
            strength_adult="strong",
            strength_child="strong",
        )
    assert code == "FC-CD-01"
    data = _draft_of(
        _p("Heading1", _r("Control at destination (CD)")),
        _p(
            "ListNumber",
            _r("FC-CD-01: Confined to a ")
            + _del("MY-AICHR", "guarded", 11)
            + _ins("MY-AICHR", "fenced", 12)
            + _r(" compound"),
        ),
        _p("Heading1", _r("Strength of the indicators")),
        _table(
            [
                [_r("Code"), _r("Adult"), _r("Child")],
                [
                    _r("FC-CD-01"),
                    _del("MY-AICHR", "medium", 17) + _ins("MY-AICHR", "weak", 18),
                    _r("strong"),
                ],
            ]
        ),
    )
    lines = _import(db_url, tmp_path, data, "--dry-run")
    at = lines.index("  proposal: amend FC-CD-01 by 'MY-AICHR' (MY-AICHR)")
    assert (
        lines[at + 1] == "    text: Confined to a [-guarded-]{+fenced+} compound under armed watch"
    )
    assert not lines[at + 2].startswith("    strength")
    placed = [line for line in lines if line.startswith("  could not place: ")]
    assert any(
        line.startswith("  could not place: tracked change by MY-AICHR (")
        and "the draft's strength adult of FC-CD-01 before the changes differs from the "
        "register's, and the change does not apply to the register's strength adult; this part "
        "is left out"
        in line
        for line in placed
    ), placed
    assert any(
        "indicator FC-CD-01: the draft's wording differs" in line
        and "text in the draft 'Confined to a guarded compound'" in line
        for line in placed
    ), placed
    assert any(
        "indicator FC-CD-01: the draft's wording differs" in line
        and "strength adult in the draft 'medium'" in line
        for line in placed
    ), placed

    _import(db_url, tmp_path, data)
    with database.transaction(write=False) as s:
        (proposal,) = s.scalars(select(Proposal)).all()
        assert proposal.content == {"text": "Confined to a fenced compound under armed watch"}
        current = register.current(s, "FC-CD-01").revision
        assert current.text == "Confined to a guarded compound under armed watch"
        assert current.strength_adult.value == "strong"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("base", "proposed", "current", "expected"),
    [
        # A sentence added at the end of the draft's text, in a register text that goes on.
        ("A b c.", "A b c. D e.", "A b c.\nF g.", "A b c. D e.\nF g."),
        # A word changed in the middle, other words elsewhere in the register's text.
        (
            "one two three four",
            "one 2 three four",
            "zero one two three four five",
            "zero one 2 three four five",
        ),
        # The words around the change are not in the register's text: not placed.
        ("The draft is short.", "The draft is short. More.", "Something else.", None),
        # The words around the change are there twice: not placed by guessing.
        ("a b", "a c", "a b; a b", None),
        # No change.
        ("x", "x", "y", "y"),
    ],
)
def test_a_change_is_replayed_on_a_text_only_where_its_words_are_found_once(
    base: str, proposed: str, current: str, expected: str | None
) -> None:
    from app.text.diff import replay

    assert replay(base, proposed, current) == expected
