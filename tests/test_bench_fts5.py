"""The comparison with SQLite FTS5 classifies each difference, and finds none undocumented."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import fts5
from bench.tokenize import Page
from tests.conftest import REPO
from watch.normalize import words
from watch.query import DocumentWords

CORPUS = [
    Page("a", "Urlaub in Salzburg", "Auf unserer Website: Straße, œuvre."),
    Page("b", "", "lʼélection हिंदी كِتَاب ﬁnale quorum"),
    Page("c", "Quorum", "Vote blanc, sind 🙂 die"),
]


def test_each_difference_is_explained_by_its_choice() -> None:
    result = fts5.compare(
        CORPUS,
        ["Strasse", "oeuvre", "election", "द", "كتاب", "finale", "sind die", "Salzburg Auf", "quorum", "vote blanc"],
    )
    assert result.examples == {
        "case folding (ß → ss)": ["Strasse"],
        "œ æ ø đ ł ħ ı written out": ["oeuvre"],
        "ʼ is an apostrophe": ["election"],
        "marks inside their word": ["द"],
        "diacritics of every script": ["كتاب"],
        "NFKC compatibility forms": ["finale"],
        "emoji separate words": ["sind die"],
    }
    assert result.identical == 3


def test_a_difference_no_choice_explains_is_undocumented(monkeypatch: pytest.MonkeyPatch) -> None:
    # A watch that let phrases run from the title into the text, as it did before issue 7.
    joined = staticmethod(lambda title, text: DocumentWords.from_text(f"{title}\n{text}"))
    monkeypatch.setattr(fts5, "DocumentWords", type("Joined", (), {"from_page": joined}))
    result = fts5.compare(CORPUS, ["Salzburg Auf", "quorum"])
    assert result.classes == {"undocumented": 1}


def test_drawn_equations_are_phrases_of_the_pages() -> None:
    drawn = fts5.equations(CORPUS, 50, fts5.random.Random(1))
    assert len(drawn) == 50
    texts = [" ".join(f"{page.title}\n{page.text}".split()) for page in CORPUS]
    assert all(1 <= len(words(phrase)) <= 3 and any(phrase in text for text in texts) for phrase in drawn)


@pytest.mark.slow
def test_quick_comparison_finds_nothing_undocumented() -> None:
    command = [sys.executable, "-m", "bench.fts5", "--quick"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=True)
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["equations"] == 300
    assert summary["undocumented"] == 0
    assert summary["identical_pct"] >= 95
