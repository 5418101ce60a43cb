"""What a question may say beyond words and phrases (`traffick*`, `a OR b`, AND), and what the
snippet shows (the passage with the words found, a code marked whole), through the API on both
engines."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.models import SearchDocument, SearchTerm
from tests.factories import World
from tests.helpers import log_in
from tests.test_search import Api, edit, people  # noqa: F401  (people is a fixture)


def test_a_word_ending_in_a_star_finds_every_word_it_begins(
    people: dict[str, Api],  # noqa: F811
) -> None:
    sec, ph = people["sec"], people["ph"]
    edit(sec, "FC-DR-01", guidance="Traffickers moved the workers across the border")
    edit(sec, "FC-CD-02", guidance="Persons trafficked into the compound")
    assert set(ph.refs("traffick*")) == {"FC-DR-01", "FC-CD-02"}
    assert set(ph.refs("TRAFF*")) == {"FC-DR-01", "FC-CD-02"}
    # Without the star the word is the word (its stem): "smuggled", not "smugglers".
    edit(sec, "FC-CD-01", guidance="Smugglers took the passport; it was never returned")
    assert ph.refs("smuggled") == []
    assert ph.refs("smuggl*") == ["FC-CD-01"]
    snippet = ph.search("traffick*", kind="indicator")["results"]
    marked = {r["ref"]: r["snippet"] for r in snippet}
    assert "<mark>Traffickers</mark>" in marked["FC-DR-01"]
    assert "<mark>trafficked</mark>" in marked["FC-CD-02"]
    # With another word, every term is still needed; a prefix nothing begins finds nothing.
    assert ph.refs("traffick* border") == ["FC-DR-01"]
    assert ph.refs("zzq*") == []
    # A prefix whose stem is written otherwise ("policy" is indexed as "polici").
    edit(sec, "FC-CD-01", guidance="The operators' policy on phones")
    assert ph.refs("policy*") == ["FC-CD-01"]


def test_or_finds_either_and_and_is_what_a_space_means(
    people: dict[str, Api],  # noqa: F811
) -> None:
    sec, ph = people["sec"], people["ph"]
    edit(sec, "FC-DR-01", guidance="Workers smuggled across the border")
    both = set(ph.refs("smuggled OR guarded"))
    assert both == {"FC-DR-01", "FC-CD-02"}
    # OR binds its neighbours: "workers" and either "smuggled" or "guarded".
    assert ph.refs("workers smuggled OR guarded") == ["FC-DR-01"]
    assert ph.refs("smuggled AND guarded") == []
    assert ph.refs("smuggled AND border") == ["FC-DR-01"]
    assert set(ph.refs('"guarded compound" OR smuggled')) == {"FC-DR-01", "FC-CD-02"}
    # A row holding both is scored for both, and comes first.
    edit(sec, "FC-CD-01", guidance="Smuggled, guarded, smuggled, guarded, smuggled, smuggled")
    assert ph.refs("smuggled OR guarded")[0] == "FC-CD-01"
    # Lower case "or", and an operator with nothing on one side, are words.
    assert ph.search("OR")["total"] == ph.search("or")["total"]
    # ("Passport or personal phone ...": the one row with all three words.)
    assert ph.refs("smuggled or guarded") == ["FC-CD-01"]
    # Thai runs may be either too.
    edit(sec, "FC-CD-02", guidance="ผู้เสียหายถูกยึดหนังสือเดินทาง")
    assert set(ph.refs("หนังสือเดินทาง OR smuggled")) == {"FC-DR-01", "FC-CD-02", "FC-CD-01"}


def test_the_snippet_is_the_passage_with_the_words_and_codes_are_marked_whole(
    people: dict[str, Api],  # noqa: F811
) -> None:
    sec, ph = people["sec"], people["ph"]
    filler = " ".join(["The operators kept records of the workers."] * 12)
    edit(
        sec,
        "FC-DR-01",
        guidance=f"Debt was mentioned once. {filler} Workers were held for a debt bondage "
        "scheme run by the compound.",
    )
    snippet = ph.search("debt bondage")["results"][0]["snippet"]
    assert "<mark>debt</mark> <mark>bondage</mark>" in snippet
    assert snippet.startswith("…")
    comment = ph.post(
        "/comments", {"item": "FC-CD-02", "body": "Merge with FC-DR-01, which says the same"}
    ).json()
    found = {r["ref"]: r["snippet"] for r in ph.search("FC-DR-01")["results"]}
    assert "<mark>FC-DR-01</mark>" in found[f"C-{comment['id']}"]


def test_each_rows_words_are_weighted_in_search_terms(
    people: dict[str, Api],  # noqa: F811
    database: Database,
) -> None:
    edit(people["sec"], "FC-CD-02", guidance="compound compound")
    with database.transaction(write=False) as s:
        doc = s.scalar(select(SearchDocument.id).where(SearchDocument.ref == "FC-CD-02"))
        weight = s.scalar(
            select(SearchTerm.weight).where(
                SearchTerm.document_id == doc, SearchTerm.stem == "compound"
            )
        )
        # Once in the title (four), once in the text and twice in the guidance.
        assert weight == 4 + 1 + 2
        # A row rewritten keeps one set of terms; a row deleted, none.
        assert s.scalar(
            select(func.count()).select_from(SearchTerm).where(SearchTerm.document_id == doc)
        ) == len(
            set(
                s.scalar(
                    select(SearchDocument.words_title + " " + SearchDocument.words).where(
                        SearchDocument.id == doc
                    )
                ).split()
            )
        )


def test_the_search_page_says_how_to_ask(client: TestClient, world: World) -> None:
    """The page's help names what the box understands: OR and a prefix with *, besides quotes."""
    log_in(client, world.member)
    page = client.get("/search")
    assert page.status_code == 200
    assert "passport OR phone" in page.text and "traffick*" in page.text


def test_folding_maps_each_character_to_the_one_written_and_snippets_escape_it() -> None:
    """The snippet's shortcuts (plain ASCII folded by lower case alone, each character's folding
    looked up once, pieces with nothing to escape left as they are) change nothing it shows."""
    from app.search.index import fold_with_map
    from app.search.service import highlight, parse

    folded, where = fold_with_map("Passport FC-DR-01")
    assert (folded, list(where)) == ("passport fc-dr-01", list(range(17)))
    text = "Người Straße ค่าไถ่ cafe\u0301 ǅ"
    folded, where = fold_with_map(text)
    # Marks on Latin letters dropped, Thai's kept; "ß" and "ǅ" fold to two letters each.
    assert folded == "nguoi strasse ค่าไถ่ cafe dz"
    assert list(where) == [*range(10), 10, *range(10, 24), 25, 26, 26]
    snippet = highlight('Người said "passports" & <b>cafés</b> — ค่าไถ่', parse("nguoi passport"))
    assert str(snippet) == (
        "<mark>Người</mark> said &#34;<mark>passports</mark>&#34; &amp; &lt;b&gt;cafés&lt;/b&gt;"
        " — ค่าไถ่"
    )
