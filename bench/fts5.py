"""``python -m bench.fts5 [--quick]``: which pages an equation finds, watch against SQLite FTS5.

SQLite's FTS5 with ``tokenize="unicode61 remove_diacritics 2"`` is a widely used reference for
"words, in any case, without accents". Both index the 102 real pages of ``corpus/realpages``
(FTS5: one row a page, its title and its visible text in two columns; watch:
:meth:`DocumentWords.from_page`). Random equations are drawn from the pages as an analyst copies
them: one to three consecutive words of a page, as written there (its accents, apostrophes and
punctuation), quoted as a phrase; some cross from a page's title into its text. Each engine
gives the set of pages the equation matches.

Where the sets differ, the difference is explained by a documented choice of watch
(:mod:`watch.normalize` lists them) when applying that choice on FTS5's side, to the pages and
to the equation before FTS5 reads them (or as a tokenizer option), makes FTS5 find exactly
watch's pages. A difference no choice explains, alone or all together, is *undocumented*: a bug
of one engine, or a choice to document. The last line is
``{"equations": …, "identical_pct": …, "classes": {…}, "undocumented": …}``.

This is a measurement of the corpus, not a unit test: ``tests/test_bench_fts5.py`` runs it
(``--quick``) and asserts that nothing undocumented is found.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Callable, NamedTuple

from bench.tokenize import Page, pages
from watch.normalize import tokenize
from watch.query import DocumentWords, QuerySyntaxError, compile_query

if TYPE_CHECKING:
    from collections.abc import Sequence

SEED = 20260411
TOKENIZER = "unicode61 remove_diacritics 2"
# Quotes end a phrase in one language or the other: equations holding one are not drawn.
_QUOTES = re.compile("[\"“”„«»*]")
_LETTERS = re.compile(r"[^\W_]+")


class Choice(NamedTuple):
    """A documented choice of watch, as FTS5 can be made to follow it."""

    name: str
    transform: Callable[[str], str]  #: applied to pages and equations before FTS5 reads them
    categories: str = "L* N* Co"  #: FTS5's token characters


def _in_letters(function: Callable[[str], str]) -> Callable[[str], str]:
    """Apply ``function`` to each run of letters and digits, as watch folds words, not symbols."""
    return lambda text: _LETTERS.sub(lambda run: function(run.group()), text)


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


_WRITTEN_OUT = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
     "ł": "l", "Ł": "L", "ħ": "h", "Ħ": "H", "ı": "i"}
)  # fmt: skip
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\u034f\ufe00-\ufe0f\u180b-\u180d\u180f\u20dd-\u20e4]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
_WIDE_SYMBOL = re.compile("(?!\\w)[\U00010000-\U0010ffff]")


CHOICES = (
    Choice("NFKC compatibility forms", _in_letters(lambda run: unicodedata.normalize("NFKC", run))),
    Choice("case folding (ß → ss)", _in_letters(str.casefold)),
    Choice("œ æ ø đ ł ħ ı written out", lambda text: text.translate(_WRITTEN_OUT)),
    Choice("diacritics of every script", _strip_marks),
    Choice("marks inside their word", lambda text: text, "L* N* Co M*"),
    Choice("ʼ is an apostrophe", lambda text: text.replace("\u02bc", "\u2019")),
    Choice("invisible characters dropped", lambda text: _INVISIBLE.sub("", text)),
    Choice("private use separates", lambda text: _PRIVATE_USE.sub(" ", text)),
    Choice("emoji separate words", lambda text: _WIDE_SYMBOL.sub(" ", text)),
)


def _all_choices(text: str) -> str:
    for choice in CHOICES:
        text = choice.transform(text)
    return text


ALL = Choice("all choices together", _all_choices, "L* N* Co M*")


class Fts5:
    """The corpus in an FTS5 table, read through one choice (or none)."""

    def __init__(self, corpus: Sequence[Page], choice: Choice | None = None) -> None:
        self.transform = choice.transform if choice else str
        spec = TOKENIZER if choice is None else f"{TOKENIZER} categories '{choice.categories}'"
        self.db = sqlite3.connect(":memory:")
        quoted = "'" + spec.replace("'", "''") + "'"
        self.db.execute(f"CREATE VIRTUAL TABLE pages USING fts5(title, body, tokenize={quoted})")
        rows = [(number, self.transform(page.title), self.transform(page.text)) for number, page in enumerate(corpus)]
        self.db.executemany("INSERT INTO pages (rowid, title, body) VALUES (?, ?, ?)", rows)

    def match(self, phrase: str) -> frozenset[int]:
        """The pages holding ``phrase`` (as FTS5 reads it), by number."""
        quoted = '"' + self.transform(phrase).replace('"', '""') + '"'
        try:
            rows = self.db.execute("SELECT rowid FROM pages WHERE pages MATCH ?", (quoted,)).fetchall()
        except sqlite3.OperationalError:  # no token at all: FTS5 refuses the query
            return frozenset()
        return frozenset(row for (row,) in rows)


def equations(corpus: Sequence[Page], count: int, rng: random.Random) -> list[str]:
    """``count`` phrases of one to three words, as written on a random page (title and text)."""
    drawn: list[str] = []
    while len(drawn) < count:
        page = rng.choice(corpus)
        searched = f"{page.title}\n{page.text}"
        tokens = tokenize(searched)
        if not tokens:
            continue
        first = rng.randrange(len(tokens))
        last = min(len(tokens), first + rng.choice((1, 1, 1, 2, 2, 3))) - 1
        phrase = " ".join(searched[tokens[first].start : tokens[last].end].split())
        if not _QUOTES.search(phrase):
            drawn.append(phrase)
    return drawn


class Comparison(NamedTuple):
    equations: int
    identical: int
    classes: Counter[str]
    examples: dict[str, list[str]]


def compare(corpus: Sequence[Page], phrases: Sequence[str]) -> Comparison:
    """Match every phrase with both engines; classify each difference by the choice explaining it."""
    docs = [DocumentWords.from_page(page.title, page.text) for page in corpus]
    plain = Fts5(corpus)
    through = {choice.name: Fts5(corpus, choice) for choice in (*CHOICES, ALL)}
    identical = 0
    classes: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for phrase in phrases:
        try:
            query = compile_query(f'"{phrase}"')
        except QuerySyntaxError:  # no word for watch (FTS5 may see one): a class of its own
            ours: frozenset[int] = frozenset()
        else:
            ours = frozenset(number for number, doc in enumerate(docs) if query.matches(doc))
        if plain.match(phrase) == ours:
            identical += 1
            continue
        name = next((name for name, fts in through.items() if fts.match(phrase) == ours), "undocumented")
        classes[name] += 1
        examples.setdefault(name, []).append(phrase)
    return Comparison(len(phrases), identical, classes, examples)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 equations instead of 1,500")
    options = parser.parse_args(argv)
    corpus = pages()
    phrases = equations(corpus, 300 if options.quick else 1500, random.Random(SEED))
    result = compare(corpus, phrases)
    percent = 100 * result.identical / result.equations
    print(
        f"{result.equations} equations over {len(corpus)} pages: {result.identical} ({percent:.1f} %)"
        " match the same pages"
    )
    for name, count in result.classes.most_common():
        shown = ", ".join(repr(example) for example in result.examples[name][:4])
        print(f"  {count:4}  {name}: {shown}")
    summary = {
        "equations": result.equations,
        "identical_pct": round(percent, 1),
        "classes": dict(result.classes.most_common()),
        "undocumented": result.classes["undocumented"],
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
