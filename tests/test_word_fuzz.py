"""Fuzzing the importer's readers: valid exported .docx files mutated byte by byte, inside
word/document.xml as bytes, and inside it element by element. Whatever the file, the only
outcomes allowed are a result or a DomainError with a 4xx status, each within a time bound."""

import os
import time
from datetime import timedelta
from functools import lru_cache

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from app.errors import DomainError
from app.word.authored import read_authored
from app.word.reader import Limits, open_docx
from app.word.returned import read_returned
from app.word.writer import export
from tests import hostile_docx as hostile
from tests.test_word_authored import authored_docx
from tests.test_word_writer import new_document, redline_document

SECONDS_PER_FILE = 2.0  # of CPU time: other processes on a loaded machine do not count
LIMITS = Limits(max_bytes=20 * 1024 * 1024)


def fuzz(examples: int) -> settings:
    """About 20 seconds for the three fuzz tests together on a loaded two-core machine;
    ZERODRAFT_FUZZ_SCALE=50 runs fifty times as many examples, for a longer search."""
    return settings(
        max_examples=examples * int(os.environ.get("ZERODRAFT_FUZZ_SCALE", "1")),
        deadline=timedelta(seconds=SECONDS_PER_FILE * 5),  # wall time, with room for load
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@lru_cache
def sources() -> tuple[bytes, ...]:
    return (
        export(new_document(), "clean", include_comments=True),
        export(redline_document(), "redline", include_comments=True),
        authored_docx(),
    )


def read_everything(data: bytes) -> str:
    """Open and read the file as the import service would: "read" or the refusal's status."""
    started = time.process_time()
    refusal: DomainError | None = None
    try:
        package = open_docx(data, "fuzzed.docx", limits=LIMITS)
        read_authored(package)
        read_returned(package)
    except DomainError as error:
        refusal = error
    if refusal is not None:
        assert 400 <= refusal.status_code < 500, refusal
        assert refusal.detail and "\n" not in refusal.detail, refusal.detail
    elapsed = time.process_time() - started
    assert elapsed < SECONDS_PER_FILE, elapsed
    outcome = "read" if refusal is None else str(refusal.status_code)
    return outcome


def test_every_unmutated_source_is_read() -> None:
    assert [read_everything(data) for data in sources()] == ["read", "read", "read"]


# Byte-level mutations of the whole file

Mutation = tuple[str, int, bytes]
mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "truncate", "overwrite"]),
        st.integers(min_value=0, max_value=2**31),
        st.binary(min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, steps: list[Mutation]) -> bytes:
    out = bytearray(data)
    for kind, position, payload in steps:
        at = position % (len(out) + 1)
        if kind == "flip" and at < len(out):
            out[at] ^= payload[0] or 0xFF
        elif kind == "insert":
            out[at:at] = payload
        elif kind == "delete":
            del out[at : at + len(payload)]
        elif kind == "truncate":
            del out[at:]
        else:
            out[at : at + len(payload)] = payload
    return bytes(out)


@fuzz(200)
@given(source=st.integers(min_value=0, max_value=2), steps=mutations)
@example(source=0, steps=[("truncate", 0, b"x")])
@example(source=1, steps=[("flip", 30, b"\x01")])  # inside the first local header
def test_mutated_files_are_read_or_refused_with_a_4xx(source: int, steps: list[Mutation]) -> None:
    event(read_everything(mutate(sources()[source], steps)))


@fuzz(150)
@given(source=st.integers(min_value=0, max_value=2), steps=mutations)
@example(source=0, steps=[("insert", 0, b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>")])
def test_mutated_document_xml_is_read_or_refused_with_a_4xx(
    source: int, steps: list[Mutation]
) -> None:
    parts = hostile.members(sources()[source])
    parts["word/document.xml"] = mutate(parts["word/document.xml"], steps)
    event(read_everything(hostile.zipped(parts)))


# Element-level mutations of word/document.xml: well-formed but unexpected structure

Edit = tuple[str, int, int, str]
edits = st.lists(
    st.tuples(
        st.sampled_from(["drop", "copy", "move", "text", "attribute", "wrap"]),
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=10**6),
        st.text(max_size=20),
    ),
    min_size=1,
    max_size=8,
)
_XML_SAFE = str.maketrans(dict.fromkeys(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])))


def edit(xml: bytes, steps: list[Edit]) -> bytes:
    root = etree.fromstring(xml)
    for kind, first, second, text in steps:
        elements = [el for el in root.iter() if isinstance(el.tag, str)][1:]
        if not elements:
            break
        el = elements[first % len(elements)]
        other = elements[second % len(elements)]
        parent = el.getparent()
        text = text.translate(_XML_SAFE).replace("\ufffe", "").replace("\uffff", "")
        text = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)
        if kind == "drop" and parent is not None:
            parent.remove(el)
        elif kind == "copy" and parent is not None:
            parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
        elif kind == "move" and other is not el and el not in other.iterancestors():
            if other.getparent() is not None and other not in el.iterancestors():
                other.getparent().remove(other)
                el.append(other)
        elif kind == "text":
            el.text = text
        elif kind == "attribute":
            name = next(
                iter(el.attrib), "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val"
            )
            el.set(name, text)
        elif kind == "wrap" and parent is not None:
            wrapper = etree.Element(other.tag)
            parent.replace(el, wrapper)
            wrapper.append(el)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@fuzz(70)
@given(source=st.integers(min_value=0, max_value=2), steps=edits)
def test_restructured_document_xml_is_read_or_refused_with_a_4xx(
    source: int, steps: list[Edit]
) -> None:
    parts = hostile.members(sources()[source])
    parts["word/document.xml"] = edit(parts["word/document.xml"], steps)
    outcome = read_everything(hostile.zipped(parts))
    event(outcome)
    assert outcome in ("read", "413", "422")
