"""Issue 14, item 2: a crafted returned Word copy neither passes for an export nor reaches a
thread its uploader cannot see.

The importer believed the `C-n:` references and the manifest written in the file, and looked
threads up by number without a visibility check: a member of one delegation could attach replies
to another delegation's private thread. The export now signs its marks (an HMAC by the secret
key, which is not in the database) and the importer refuses a copy whose marks do not verify;
every thread a copy names is checked against what the uploader (and the delegation the copy is
imported for) may see, as the web checks a reply. Driven as a person drives it, over HTTP.
"""

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import Comment
from app.rounds.export import MEDIA_TYPE
from tests.factories import World, bearer, token_for
from tests.helpers import Clock
from tests.test_imports_api import ZD, issue
from tests.test_imports_review import rewrite, set_property
from tests.word_edits import Reply, ReplyTo, edit_with_word_xml

LATER = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
INTRUDER = "ZZINTRUDER reply"


class Setting:
    def __init__(self, client: TestClient, database: Database, world: World, clock: Clock):
        issue(database, clock)
        self.client = client
        self.ph = bearer(token_for(database, world.member, clock.now))
        self.th = bearer(token_for(database, world.member3, clock.now))
        self.hidden = self.comment(
            self.ph,
            {
                "item": "FC-CD-01",
                "body": "ZZPRIVATE for PH-SOMTC only",
                "visibility": "delegation",
                "delegation": "PH-SOMTC",
            },
        )
        self.open = self.comment(self.th, {"item": "FC-CD-01", "body": "Which phones?"})
        response = client.get(
            f"/api/v1/rounds/{ZD}/export.docx",
            params={"variant": "clean", "comments": "true"},
            headers=self.th,
        )
        assert response.status_code == 200, response.text
        self.exported = response.content

    def comment(self, headers: dict[str, str], body: dict[str, Any]) -> int:
        response = self.client.post("/api/v1/comments", json=body, headers=headers)
        assert response.status_code == 201, response.text
        value: int = response.json()["id"]
        return value

    def upload(self, data: bytes) -> Any:
        return self.client.post(
            "/api/v1/imports",
            files={"file": ("returned.docx", data, MEDIA_TYPE)},
            data={"delegation": "TH-SOMTC"},
            headers=self.th,
        )

    def confirm(self, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1/imports/{body['id']}/confirm",
            headers=self.th | {"If-Match": f'"I-{body["id"]}.v{body["version"]}"'},
        )

    def import_(self, data: bytes) -> None:
        previewed = self.upload(data)
        assert previewed.status_code == 201, previewed.text
        confirmed = self.confirm(previewed.json())
        assert confirmed.status_code == 200, confirmed.text


@pytest.fixture
def setting(client: TestClient, database: Database, world: World, clock: Clock) -> Setting:
    return Setting(client, database, world, clock)


def _replies_to(database: Database, thread: int) -> list[str]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Comment.body).where(Comment.parent_id == thread)))


def _reference_changed(data: bytes, old: int, new: int) -> bytes:
    """The exported comment's `C-old: ` made `C-new: `, its author and date kept (so that it
    still reads as one the export carried)."""
    return rewrite(
        data,
        "word/comments.xml",
        lambda xml: xml.replace(f"C-{old}: ".encode(), f"C-{new}: ".encode()),
    )


def _without_manifest(data: bytes) -> bytes:
    """The copy as LibreOffice returns it: its custom XML parts (the manifest) dropped."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist() if not n.startswith("customXml/")}
    rels = "word/_rels/document.xml.rels"
    members[rels] = re.sub(rb"<Relationship [^>]*customXml/[^>]*/>", b"", members[rels])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, content in members.items():
            z.writestr(n, content)
    return out.getvalue()


def _reply_in(data: bytes, thread: int) -> bytes:
    return edit_with_word_xml(
        data, [ReplyTo(f"C-{thread}: ", Reply("Somchai Wong", "SW", LATER, INTRUDER))]
    )


def test_a_reply_to_an_exported_thread_still_goes_into_it(
    database: Database, setting: Setting
) -> None:
    setting.import_(_reply_in(setting.exported, setting.open))
    assert _replies_to(database, setting.open) == [INTRUDER]


def test_a_reference_rewritten_to_another_delegations_thread_reaches_nothing(
    database: Database, setting: Setting
) -> None:
    crafted = _reply_in(
        _reference_changed(setting.exported, setting.open, setting.hidden), setting.hidden
    )
    setting.import_(crafted)
    assert _replies_to(database, setting.hidden) == []


def test_without_its_manifest_a_copy_still_reaches_no_hidden_thread(
    database: Database, setting: Setting
) -> None:
    crafted = _without_manifest(
        _reply_in(
            _reference_changed(setting.exported, setting.open, setting.hidden), setting.hidden
        )
    )
    setting.import_(crafted)
    assert _replies_to(database, setting.hidden) == []


def _manifest_name(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return next(
            n
            for n in z.namelist()
            if n.startswith("customXml/item") and b"urn:zerodraft:export" in z.read(n)
        )


@pytest.mark.parametrize(
    "tamper",
    [
        "signature_removed",
        "signature_of_another_key",
        "round_renamed",
        "thread_added_to_manifest",
        "manifest_signature_removed",
    ],
)
def test_marks_that_were_not_signed_here_are_refused(
    database: Database, setting: Setting, tamper: str
) -> None:
    data = _reply_in(setting.exported, setting.open)
    assert setting.upload(data).status_code == 201  # the copy as it came is believed
    if tamper == "signature_removed":
        data = set_property(data, "zerodraft.signature", "")
    elif tamper == "signature_of_another_key":
        data = set_property(data, "zerodraft.signature", "L_pwj1utLojK6NxD7W386lT6_qanLL0m_SnWj")
    elif tamper == "round_renamed":
        data = set_property(data, "zerodraft.round", "DWG-FC/OTHER")
    elif tamper == "manifest_signature_removed":
        data = set_property(data, "zerodraft.manifest_signature", "")
    else:
        data = rewrite(
            data,
            _manifest_name(data),
            lambda xml: xml.replace(
                b"</zd:export>", f'<zd:thread ref="C-{setting.hidden}"/></zd:export>'.encode()
            ),
        )
    response = setting.upload(data)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "file"
    assert "not signed by this platform" in response.json()["detail"]
    assert _replies_to(database, setting.hidden) == []
