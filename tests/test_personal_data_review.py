"""What an independent review found the personal-data check missed (issue 21): social media
accounts and profile links, ages in apposition, quoted nicknames after a role, Vietnamese full
names without an honorific, and Given Family names with an age beside them; with the ordinary
texts that must stay clean. All names and accounts here are invented."""

import pytest

from app.text.personal_data import GENERAL_KINDS, find_personal_data


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(text)]


FOUND = [
    ("@scamboss88 ran the team", [("handle", "@scamboss88")]),
    ("Telegram @tony_boss sent the script", [("handle", "@tony_boss")]),
    ("see facebook.com/maria.santos.99.", [("handle", "facebook.com/maria.santos.99")]),
    ("https://t.me/joinchat/abc123 was the group", [("handle", "https://t.me/joinchat/abc123")]),
    ("Line ID: somchai1990", [("handle", "somchai1990")]),
    ("Line ID: somchai", [("handle", "somchai")]),
    ("contact via LINE: tony_88", [("handle", "tony_88")]),
    ("WhatsApp ID sam.k", [("handle", "sam.k")]),
    ("Maria Santos, 24, was recruited in Manila.", [("name", "Maria Santos"), ("exact_age", "24")]),
    ("(F, 22) from the north", [("exact_age", "F, 22")]),
    ("Le Thi Hoa (F, 22) answered", [("name", "Le Thi Hoa"), ("exact_age", "F, 22")]),
    ("Siti Aminah (22, F) was moved", [("name", "Siti Aminah"), ("exact_age", "22, F")]),
    ("Agent 'Tony' met her at the bus station", [("name", "Tony")]),
    ("the boss \u201cBig Ken\u201d kept the passports", [("name", "Big Ken")]),
    ("Nguyen Van Minh was the driver", [("name", "Nguyen Van Minh")]),
    ("the victim Trần Thị Mai left", [("name", "Trần Thị Mai")]),
    ("Le Van Tam and Pham Thu Trang", [("name", "Le Van Tam"), ("name", "Pham Thu Trang")]),
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


NOT_FOUND = [
    "She was recruited on Facebook and kept in a Telegram group; WhatsApp calls were banned.",
    "Telegram: they asked for her passport. Her Facebook account was deleted.",
    "Facebook account holder; X: the platform",
    "meet @ 5pm; the rate was 3 @ USD 10",
    "Mr. Chair, 12 delegations spoke; Madam Chair, 3 proposals",
    "Viet Nam, 24 cases; Myanmar, 12; the Philippines, 9.",
    "In March, 24 people crossed; Round 2, 14 indicators",
    "Ho Chi Minh City, Le Monde, Do Not Enter, the Nguyen Trai Street market",
    "FC-CD-01, FC-DR-04 (FC-EX-05, 12)",
    "Article 4, 12; Annex 2, 10",
    "SOMTC, ACWC and AICHR (PH, 12); ASEAN Secretariat, 14",
    "Juan Dela Cruz went to Manila",  # Given Family alone: too common to flag
    "The Drafting Working Group, 23 indicators",
    "Golden Star Trading, 12 staff; Kings Romans Casino, 40",
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found(text: str) -> None:
    assert found(text) == []


def test_comments_check_accounts_and_names_but_not_ages() -> None:
    kinds = [f.kind for f in find_personal_data("Maria Santos, 24, @mariasan", kinds=GENERAL_KINDS)]
    assert kinds == ["name", "handle"]
