"""The comparison of two snapshots, as a pure function: what counts as added, removed, moved,
renumbered and changed, and the concordance."""

from typing import Any

from app.models import ItemKind
from app.rounds.compare import Links, compare
from app.rounds.snapshot import Entry


def entry(
    item_id: int,
    position: int,
    number: int | None,
    *,
    dimension: str = "CD",
    text: str = "",
    revision: int = 1,
    state: str = "open",
    kind: ItemKind = ItemKind.INDICATOR,
) -> Entry:
    content: dict[str, Any] = {"text": text or f"Indicator {item_id}", "dimension": dimension}
    return Entry(
        item_id, f"FC-{dimension}-{item_id:02d}", kind, position, number, state, revision, content
    )


def test_one_item_moved_up_is_the_only_move() -> None:
    earlier = [entry(i, i, i) for i in range(1, 6)]
    # Item 5 goes first: the other four keep their relative order, so only 5 moved.
    later = [entry(5, 1, 1)] + [entry(i, i + 1, i + 1) for i in range(1, 5)]
    c = compare(earlier, later, Links())
    assert [m.code for m in c.moved] == ["FC-CD-05"]
    assert not c.moved[0].across_dimensions
    assert [(n.code, n.old_number, n.new_number) for n in c.renumbered] == [
        ("FC-CD-05", 5, 1),
        ("FC-CD-01", 1, 2),
        ("FC-CD-02", 2, 3),
        ("FC-CD-03", 3, 4),
        ("FC-CD-04", 4, 5),
    ]
    assert c.changed == [] and c.added == [] and c.removed == []


def test_a_swap_moves_one_of_the_two_and_a_deletion_moves_nothing() -> None:
    earlier = [entry(1, 1, 1), entry(2, 2, 2), entry(3, 3, 3)]
    swapped = [entry(2, 1, 1), entry(1, 2, 2), entry(3, 3, 3)]
    assert len(compare(earlier, swapped, Links()).moved) == 1
    deleted = [entry(1, 1, None, state="deleted"), entry(2, 2, 1), entry(3, 3, 2)]
    c = compare(earlier, deleted, Links())
    assert c.moved == []
    assert [(x.code, x.merged_into) for x in c.removed] == [("FC-CD-01", None)]
    assert [r.outcome for r in c.concordance] == ["deleted", "renumbered", "renumbered"]


def test_a_new_revision_that_only_moves_the_item_is_not_a_change() -> None:
    earlier = [entry(1, 1, 1, dimension="CD")]
    later = [entry(1, 1, 1, dimension="DR", revision=2, text="Indicator 1")]
    c = compare(earlier, later, Links())
    assert [(m.old_dimension, m.new_dimension) for m in c.moved] == [("CD", "DR")]
    assert c.changed == []
    reworded = [entry(1, 1, 1, revision=2, text="Indicator one")]
    (changed,) = compare(earlier, reworded, Links()).changed
    assert [(f.field, [(ch.op, ch.text) for ch in f.chunks]) for f in changed.fields] == [
        ("text", [("equal", "Indicator "), ("delete", "1"), ("insert", "one")])
    ]


def test_merges_and_splits_come_from_the_links() -> None:
    earlier = [entry(1, 1, 1), entry(2, 2, 2)]
    later = [
        entry(1, 1, 1, revision=2, text="Both"),
        entry(2, 2, None, state="deleted"),
        entry(3, 3, 2),
    ]
    c = compare(earlier, later, Links(merged_into={2: "FC-CD-01"}, split_from={3: "FC-CD-01"}))
    assert [
        (r.old_code, r.new_code, r.merged_into, r.merged_into_number, r.split_from, r.split_into)
        for r in c.concordance
    ] == [
        ("FC-CD-01", "FC-CD-01", None, None, None, ("FC-CD-03",)),
        ("FC-CD-02", None, "FC-CD-01", 1, None, ()),
        (None, "FC-CD-03", None, None, "FC-CD-01", ()),
    ]
    assert [(a.code, a.split_from) for a in c.added] == [("FC-CD-03", "FC-CD-01")]
