"""Query values a user can vary at will do not fill the rendered-fragment cache: saved= on an
indicator page is kept only when it names a revision, the register's free-text search is not
kept, and a page number past the end (shown as the last page) is not kept under its own
number. Paging and filters still answer as before, and what a link offers is still kept."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.web.cache import FragmentCache
from tests.factories import World
from tests.helpers import log_in


def entries(app: FastAPI) -> int:
    cache: FragmentCache = app.state.fragments
    return len(cache)


def test_only_real_values_of_the_query_are_kept(app: FastAPI, world: World) -> None:
    with TestClient(app) as client:
        log_in(client, world.member)
        kept = [
            "/indicators/FC-CD-01",
            "/indicators/FC-CD-01?saved=1",
            "/register",
            "/register?status=active",
            "/consensus",
        ]
        for path in kept:
            before = entries(app)
            assert client.get(path).status_code == 200, path
            assert entries(app) == before + 1, path
        churn = [
            *(f"/indicators/FC-CD-01?saved={n}" for n in (2, 99, 999999, "007")),
            *(f"/register?q=passport{n}" for n in range(5)),
            "/register?q=passport",
            *(f"/register?page={n}" for n in (2, 99, 999999)),
            *(f"/consensus?page={n}" for n in (2, 99, 999999)),
        ]
        before = entries(app)
        for path in churn:
            assert client.get(path).status_code == 200, path
        assert entries(app) == before

        # What they show is unchanged: the search finds, a page past the end is the last one.
        found = client.get("/register?q=passport").text
        assert "FC-CD-01" in found
        assert "FC-CD-01" in client.get("/register?page=99").text
        assert "FC-CD-01" in client.get("/consensus?page=99").text
        assert "FC-CD-01" in client.get("/indicators/FC-CD-01?saved=99").text
