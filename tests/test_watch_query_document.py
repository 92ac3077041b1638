"""A page read once: its words serve the equations, the snippets, the near misses and the fingerprints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_watch_query_properties import leaves, mentioned, render, texts
from watch.fingerprints import content_fingerprint, simhash
from watch.normalize import spans, words
from watch.query import DocumentWords, QuerySet, compile_query
from watch.query.nearmiss import NearMissCollector
from watch.query.snippets import snippets


def page_matches(equation: str, title: str, text: str) -> bool:
    return compile_query(equation).matches(DocumentWords.from_page(title, text))


@pytest.mark.parametrize(
    ("equation", "title", "text", "expected"),
    [
        # the fixes of issue 7, item 2: marks stay inside their word...
        ('"द"', "", "हिन्दी", False),
        ("हिन्दी", "", "हिन्दी में", True),
        ("كتاب", "", "كِتَاب", True),
        ("שלום", "", "שָׁלוֹם", True),
        # ...U+02BC is an apostrophe...
        ("election", "", "lʼélection", True),
        ("lʼélection", "", "l’élection", True),
        # ...and phrases and NEAR do not run from the title into the text
        ('"Salzburg Auf"', "Urlaub in Salzburg", "Auf unserer Website", False),
        ("Salzburg NEAR/1 Auf", "Urlaub in Salzburg", "Auf unserer Website", False),
        ('"in Salzburg"', "Urlaub in Salzburg", "Auf unserer Website", True),
        ('"unserer Website"', "Urlaub in Salzburg", "Auf unserer Website", True),
        ("Salzburg AND Auf", "Urlaub in Salzburg", "Auf unserer Website", True),
        ("Urlaub NEAR/2 Salzburg", "Urlaub in Salzburg", "Auf unserer Website", True),
        ('"Salzburg Auf"', "", "Urlaub in Salzburg\nAuf unserer Website", True),  # lines of one text
        ("elect*", "Élections", "", True),
    ],
)
def test_matching_a_page(equation: str, title: str, text: str, expected: bool) -> None:
    assert page_matches(equation, title, text) is expected


def test_many_equations_respect_the_title_too() -> None:
    # Over 16 equations the presearch index decides two-word phrases from the pairs of words.
    equations = {f"q{number}": f"filler{number}" for number in range(20)} | {"join": '"Salzburg Auf"'}
    queries = QuerySet(equations)
    assert queries.matching(DocumentWords.from_page("Salzburg", "Auf unserer Website")) == []
    assert queries.matching(DocumentWords.from_page("", "Salzburg Auf")) == ["join"]


def test_page_words_are_the_title_then_the_text() -> None:
    doc = DocumentWords.from_page("L’Élection", "Le quorum")
    assert doc.words == ["l", "election", "le", "quorum"]
    assert (doc.title_words, doc.body_words) == (2, ["le", "quorum"])
    assert doc.vocabulary == {"l", "election", "le", "quorum"}
    assert doc.pairs == {("l", "election"), ("le", "quorum")}
    assert doc.text == "L’Élection\nLe quorum"
    assert [doc.text[start:end] for start, end in zip(*doc.spans)] == ["L", "Élection", "Le", "quorum"]


_PIECES = st.lists(
    st.sampled_from(["Quorum", "l’Été", "Straße", "½", "hi", " ", "\n", ", ", "ʼ", "हिन्दी"]), max_size=12
)


@given(_PIECES.map("".join), _PIECES.map("".join))
def test_fingerprint_and_simhash_are_those_of_the_functions(title: str, text: str) -> None:
    doc = DocumentWords.from_page(title, text)
    assert doc.fingerprint == content_fingerprint(title, text)
    assert doc.simhash == simhash(words(text))
    assert doc.spans == spans(f"{title}\n{text}")


def test_release_keeps_only_the_hashes() -> None:
    doc = DocumentWords.from_page("Titre", "Le quorum est atteint, le quorum.")
    fingerprint = content_fingerprint("Titre", "Le quorum est atteint, le quorum.")
    hashed = simhash(doc.body_words)
    _ = doc.spans, doc.vocabulary, doc.occurrences(compile_query("quorum").terms[0])
    doc.release()
    assert (doc.fingerprint, doc.simhash) == (fingerprint, hashed)
    assert (doc.text, doc.words, doc.vocabulary, doc.spans) == ("", [], frozenset(), ([], []))
    assert not compile_query("quorum").matches(doc)


def test_snippets_mark_the_title_and_the_text() -> None:
    doc = DocumentWords.from_page("Quorum ﬁnal", "Le ﬁnal du quorum.")
    match = compile_query("quorum OR final").match(doc)
    assert match is not None
    assert snippets(doc, match) == ["«Quorum» «ﬁnal» Le «ﬁnal» du «quorum»."]


def test_near_misses_do_not_run_from_the_title_into_the_text() -> None:
    collector = NearMissCollector(compile_query("Nationbuilder").terms)
    collector.add(DocumentWords.from_page("Nation", "Builder"), "http://a.test/")
    collector.add(DocumentWords.from_page("", "Nation Builder"), "http://b.test/")
    [form] = collector.report()["Nationbuilder"]
    assert (form["form"], form["examples"]) == ("Nation Builder", ["http://b.test/"])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_term_occurs_in_a_page_iff_in_its_title_or_in_its_text(data: st.DataObject) -> None:
    term = data.draw(leaves)
    query = compile_query(render(term, data.draw))
    likely = tuple(mentioned(term))
    (_, title), (_, text) = data.draw(texts(likely)), data.draw(texts(likely))
    in_page = query.matches(DocumentWords.from_page(title, text))
    assert in_page == (query.matches(DocumentWords.from_text(title)) or query.matches(DocumentWords.from_text(text)))
