"""Benchmark: many search equations against many documents, three engines side by side.

``python -m bench.match [--quick]``

Documents are derived deterministically from the real pages in ``bench/data/`` (paragraphs
sliced and shuffled into 2,000 documents); equations mix AND/OR/NOT, phrases, wildcards and
NEAR over words taken from those documents. Engines:

- ``regex``: one compiled regular expression per equation (lookaheads at the start of the
  normalised text), every equation tried on every document;
- ``ahocorasick``: pyahocorasick finds every term of every equation in one pass, then the
  equations containing a found term (and those true without any) are evaluated;
- ``watch``: :class:`watch.query.QuerySet`, given the documents :data:`BATCH` at a time as the
  crawl's matching pipeline does (its bitset circuit, or each equation evaluated when there are
  few).

Every engine gets the same normalised words (tokenising is shared and timed apart): that is the
matching step, for watch the building of each document's :class:`DocumentWords` from its tokens
included. ``watch (text)`` times watch again from the raw text, tokenising included. Each
figure is the best of :data:`REPEATS` runs, each by a new engine, taken in rounds over every
engine and number of equations (:func:`measure_all`): the machine may be shared.
Each engine is timed up to its own answer (watch's: the matching equations' names, as the
crawl uses them); the match sets of all engines are then compared, untimed, and must be
identical. The last line is a JSON
summary, with the peak memory traced while watch builds its matcher and matches every document
at the largest number of equations.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import random
import re
import time
import tracemalloc
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import ahocorasick

import settings.base
from watch.normalize import Token, tokenize, words
from watch.query import DocumentWords, QuerySet
from watch.query.lexer import OPERATORS
from watch.query.parser import And, Leaf, Node, Not, parse
from watch.query.terms import NEAR, PHRASE, PREFIX, Term

DATA = Path(__file__).parent / "data"
SEED = 20260321
#: Documents watch matches in one call (the matching pipeline's batch size, WATCH_MATCH_BATCH_SIZE).
BATCH = settings.base.WATCH_MATCH_BATCH_SIZE
#: Runs timed for each engine but the slow regex baseline; the best is kept.
REPEATS = 3
Evaluate = Callable[[frozenset[int]], bool]


# -- data -------------------------------------------------------------------------------


def paragraphs() -> list[str]:
    """Visible paragraphs of 88 real pages (see ``bench/data/README.md``)."""
    return gzip.decompress((DATA / "paragraphs.txt.gz").read_bytes()).decode().splitlines()


def documents(pool: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """``count`` documents: a title line, then 2 to 8 paragraphs drawn from ``pool``."""
    made = []
    for _ in range(count):
        title = " ".join(rng.choice(pool).split()[:8])
        made.append(title + "\n" + "\n".join(rng.sample(pool, rng.randint(2, 8))))
    return made


def equations(docs: Sequence[list[str]], count: int, rng: random.Random) -> list[str]:
    """``count`` equations over mid-frequency words and real bigrams of the documents."""
    frequency: dict[str, int] = {}
    for doc in docs:
        for word in set(doc):
            frequency[word] = frequency.get(word, 0) + 1
    # An analyst's terms are names and topical words, found in few documents (at most 1%);
    # never an operator word (French ``sauf`` is a common word of the corpus and would be read
    # as NOT, making the equation malformed).
    vocabulary = sorted(
        w for w, n in frequency.items()
        if len(w) >= 4 and not w.isdigit() and n <= len(docs) // 100 and w.upper() not in OPERATORS
    )
    bigrams = sorted({f"{a} {b}" for doc in docs[:300] for a, b in zip(doc, doc[1:]) if a in frequency and len(a) > 3 and len(b) > 3})

    def word() -> str:
        return rng.choice(vocabulary)

    def phrase() -> str:
        return f'"{rng.choice(bigrams)}"'

    def prefix() -> str:
        stem = rng.choice([w for w in (word() for _ in range(5)) if len(w) >= 6] or ["constru"])
        return stem[: rng.randint(5, min(len(stem), 8))] + "*"

    def term() -> str:
        return rng.choices([word, phrase, prefix], weights=[6, 2, 1])[0]()

    templates: list[Callable[[], str]] = [
        lambda: f"{term()} OR {term()} OR {term()}",
        lambda: f"{term()} AND {term()}",
        lambda: f"{term()} {term()}",
        lambda: f"({term()} OR {term()}) AND NOT {term()}",
        lambda: f"{term()} OR ({term()} AND {term()})",
        lambda: term(),
        lambda: f"{word()} NEAR/{rng.randint(2, 8)} {word()}",
        lambda: f"({term()} OR {term()}) ({term()} OR {term()}) SAUF {term()}",
    ]
    return [rng.choice(templates)() for _ in range(count)]


class Engine:
    """An engine's timed ``match_all`` gives its own answer; :meth:`answers` turns it, untimed, into
    what all are compared on: per document, the numbers of the equations it satisfies."""

    def answers(self, found: list[set[int]]) -> list[set[int]]:
        return found


# -- baseline: one regular expression per equation ---------------------------------------


def _fragment(term: Term) -> str:
    if term.kind == NEAR:
        left, right = (_fragment(operand) for operand in term.operands)
        between = f"(?: [^ ]+){{0,{term.distance}}} "
        return f"(?:{left}{between}{right}|{right}{between}{left})"
    if term.kind == PREFIX:
        return re.escape(term.words[0]) + "[^ ]*"
    return re.escape(" ".join(term.words))


def _assertion(node: Node) -> str:
    """A zero-width pattern, true at the start of the text when ``node`` is."""
    if isinstance(node, Leaf):
        return f"(?=.*? {_fragment(node.term)} )"
    if isinstance(node, Not):
        return f"(?!{_assertion(node.operand)})"
    parts = [_assertion(operand) for operand in node.operands]
    return "".join(parts) if isinstance(node, And) else "(?:" + "|".join(parts) + ")"


class RegexEngine(Engine):
    def __init__(self, written: Sequence[str]) -> None:
        self.patterns = [re.compile(_assertion(parse(equation)), re.DOTALL) for equation in written]

    def match_all(self, docs: Sequence[tuple[str, list[Token]]]) -> list[set[int]]:
        return [self.match(text, tokens) for text, tokens in docs]

    def match(self, text: str, tokens: list[Token]) -> set[int]:
        normalised = " " + " ".join(token.word for token in tokens) + " "
        return {number for number, pattern in enumerate(self.patterns) if pattern.match(normalised)}


# -- baseline: Aho-Corasick term extraction, then boolean evaluation ------------------------


class AhoCorasickEngine(Engine):
    def __init__(self, written: Sequence[str]) -> None:
        self.terms: dict[tuple[object, ...], int] = {}
        self.near: list[tuple[int, int, int, int]] = []  # (near id, left id, right id, distance)
        self.evaluators: list[Evaluate] = []
        containing: dict[int, list[int]] = {}
        for number, equation in enumerate(written):
            used: set[int] = set()
            self.evaluators.append(self._compile(parse(equation), used))
            for term in used:
                containing.setdefault(term, []).append(number)
        self.containing = containing
        self.true_without_terms = [n for n, evaluate in enumerate(self.evaluators) if evaluate(frozenset())]
        self.automaton = ahocorasick.Automaton()
        for key, number in self.terms.items():
            kind, text = key[0], key[1]
            if kind in (PHRASE, "word", PREFIX):
                pattern = f" {text}" if kind == PREFIX else f" {text} "
                found = self.automaton.get(pattern, [])
                self.automaton.add_word(pattern, [*found, (number, kind, str(text).count(" ") + 1)])
        self.automaton.make_automaton()

    def match_all(self, docs: Sequence[tuple[str, list[Token]]]) -> list[set[int]]:
        return [self.match(text, tokens) for text, tokens in docs]

    def _term(self, term: Term, used: set[int]) -> int:
        if term.kind == NEAR:
            left, right = (self._term(operand, used) for operand in term.operands)
            key: tuple[object, ...] = (NEAR, left, right, term.distance)
        else:
            key = (term.kind, " ".join(term.words))
        number = self.terms.get(key)
        if number is None:
            number = self.terms[key] = len(self.terms)
            if term.kind == NEAR:
                self.near.append((number, left, right, term.distance))
        used.add(number)
        return number

    def _compile(self, node: Node, used: set[int]) -> Evaluate:
        if isinstance(node, Leaf):
            number = self._term(node.term, used)
            return lambda present: number in present
        if isinstance(node, Not):
            inner = self._compile(node.operand, used)
            return lambda present: not inner(present)
        parts = [self._compile(operand, used) for operand in node.operands]
        if isinstance(node, And):
            return lambda present: all(part(present) for part in parts)
        return lambda present: any(part(present) for part in parts)

    def match(self, text: str, tokens: list[Token]) -> set[int]:
        normalised = " " + " ".join(token.word for token in tokens) + " "
        starts = []  # character offset of each word in ``normalised``
        offset = 1
        for token in tokens:
            starts.append(offset)
            offset += len(token.word) + 1
        places: dict[int, list[tuple[int, int]]] = {}
        for end, hits in self.automaton.iter(normalised):
            for number, kind, width in hits:
                if kind == PREFIX:
                    first = bisect_right(starts, end) - 1
                else:
                    first = bisect_right(starts, end - 1) - width
                places.setdefault(number, []).append((first, first + width))
        for number, left, right, distance in self.near:
            pairs = [
                (a, b) for a in places.get(left, ()) for b in places.get(right, ())
                if 0 <= max(b[0] - a[1], a[0] - b[1]) <= distance
            ]
            if pairs:
                places[number] = [(min(a[0], b[0]), max(a[1], b[1])) for a, b in pairs]
        present = frozenset(places)
        candidates = set(self.true_without_terms)
        for number in present:
            candidates.update(self.containing.get(number, ()))
        return {number for number in candidates if self.evaluators[number](present)}


# -- ours ---------------------------------------------------------------------------------


class WatchEngine(Engine):
    def __init__(self, written: Sequence[str]) -> None:
        self.queries = QuerySet({f"q{number}": equation for number, equation in enumerate(written)})
        self.numbers = {name: number for number, name in enumerate(self.queries.names)}

    def match_all(self, docs: Sequence[tuple[str, list[Token]]]) -> list[list[str]]:
        found: list[list[str]] = []
        for start in range(0, len(docs), BATCH):
            batch = [self.document(text, tokens) for text, tokens in docs[start : start + BATCH]]
            # Like the baselines, only which equations match (``match_many()`` also explains each).
            found.extend(self.queries.matching_many(batch))
        return found

    def answers(self, found: list[list[str]]) -> list[set[int]]:  # type: ignore[override]
        """watch answers the equations' names, as the crawl uses them."""
        return [{self.numbers[name] for name in names} for names in found]

    def document(self, text: str, tokens: list[Token]) -> DocumentWords:
        return DocumentWords(text, [token.word for token in tokens])


class WatchFromTextEngine(WatchEngine):
    """Watch from the raw text: tokenising is timed with the matching."""

    def document(self, text: str, tokens: list[Token]) -> DocumentWords:
        return DocumentWords.from_text(text)


# -- measurement ----------------------------------------------------------------------------


@dataclass
class Job:
    """One engine at one number of equations, timed :data:`REPEATS` times (``repeats``) in turn
    with every other job (see :func:`measure_all`)."""

    name: str
    engine_class: type
    written: Sequence[str]
    docs: Sequence[tuple[str, list[Token]]]
    repeats: int
    elapsed: float = float("inf")
    memory: int = 0
    results: list[set[int]] = field(default_factory=list)

    def run(self) -> None:
        """Time one run by a new engine (none profits from another's warm-up); keep the best."""
        gc.collect()
        tracemalloc.start()
        engine = self.engine_class(self.written)
        self.memory = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        started = time.perf_counter()
        found = engine.match_all(self.docs)
        self.elapsed = min(self.elapsed, time.perf_counter() - started)
        self.results = engine.answers(found)

    def figures(self) -> dict[str, float]:
        size = sum(len(text.encode()) for text, _ in self.docs)
        return {
            "docs": len(self.docs),
            "docs_per_s": len(self.docs) / self.elapsed,
            "mb_per_s": size / self.elapsed / 1e6,
            "memory_mb": self.memory / 1e6,
            "matches": sum(len(found) for found in self.results),
        }


def measure_all(jobs: Sequence[Job]) -> None:
    """Run every job's repeats in rounds, one run of each job a round, and keep each one's best.

    The best run is the one least disturbed by other work on the machine, as ``timeit`` does;
    taking the rounds in turn spreads a slow spell of the machine over every job, instead of
    over the few that ran during it, so that ratios between jobs (the slowdown from 1 to 10,000
    equations) compare like with like.
    """
    for round_ in range(max(job.repeats for job in jobs)):
        for job in jobs:
            if round_ < job.repeats:
                job.run()


def peak_memory(written: Sequence[str], docs: Sequence[tuple[str, list[Token]]]) -> float:
    """Megabytes at the peak while watch builds its matcher and matches ``docs`` (untimed)."""
    gc.collect()
    tracemalloc.start()
    WatchEngine(written).match_all(docs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def run(sizes: Iterable[int], doc_count: int, regex_docs: dict[int, int]) -> dict[str, float]:
    rng = random.Random(SEED)
    texts = documents(paragraphs(), doc_count, rng)
    started = time.perf_counter()
    docs = [(text, tokenize(text)) for text in texts]
    prepared = time.perf_counter() - started
    megabytes = sum(len(text.encode()) for text in texts) / 1e6
    print(f"{len(docs)} documents, {megabytes:.1f} MB, {sum(len(t) for _, t in docs) / len(docs):.0f} words each; "
          f"tokenising (shared by all engines, not in the figures below): {len(docs) / prepared:,.0f} docs/s")
    all_equations = equations([words(text) for text in texts], max(sizes), rng)
    print(f"{'engine':<14} {'equations':>9} {'docs':>6} {'docs/s':>10} {'MB/s':>8} {'index MB':>9} {'matches':>8}")
    engines = (
        ("watch", WatchEngine, REPEATS),
        ("watch (text)", WatchFromTextEngine, REPEATS),
        ("ahocorasick", AhoCorasickEngine, REPEATS),
        ("regex", RegexEngine, 1),  # slow: a sanity check, on fewer documents (regex_docs)
    )
    jobs: dict[tuple[int, str], Job] = {}
    for size in sizes:
        for name, engine_class, repeats in engines:
            count = regex_docs.get(size, len(docs)) if name == "regex" else len(docs)
            jobs[size, name] = Job(name, engine_class, all_equations[:size], docs[:count], repeats)
    measure_all(list(jobs.values()))
    figures = {key: job.figures() for key, job in jobs.items()}
    for size in sizes:
        for name, _, _ in engines:
            f = figures[size, name]
            print(f"{name:<14} {size:>9,} {f['docs']:>6} {f['docs_per_s']:>10,.0f} {f['mb_per_s']:>8.2f} "
                  f"{f['memory_mb']:>9.2f} {f['matches']:>8,}")
        reference = jobs[size, "watch"].results
        for name in ("watch (text)", "ahocorasick", "regex"):
            other = jobs[size, name].results
            assert other == reference[: len(other)], f"{name} disagrees with watch at {size} equations"
        assert figures[size, "watch"]["matches"], f"no document matched any of {size} equations: nothing measured"
    ours = {size: figures[size, "watch"]["docs_per_s"] for size in sizes}
    from_text = {size: figures[size, "watch (text)"]["docs_per_s"] for size in sizes}
    aho = {size: figures[size, "ahocorasick"]["docs_per_s"] for size in sizes}
    largest = max(sizes)
    peak = peak_memory(all_equations, docs)
    print(f"watch at {largest:,} equations: peak traced memory {peak:.1f} MB (matcher built, then every document"
          f" matched {BATCH} at a time)")
    return {
        "docs_per_s_1": round(ours[1]),
        f"docs_per_s_{largest}": round(ours[largest]),
        f"slowdown_1_to_{largest}": round(ours[1] / ours[largest], 2),
        f"vs_ahocorasick_{largest}": round(ours[largest] / aho[largest], 2),
        f"docs_per_s_{largest}_from_text": round(from_text[largest]),
        f"peak_mb_{largest}": round(peak, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (200 documents, up to 1,000 equations)")
    options = parser.parse_args(argv)
    if options.quick:
        summary = run([1, 100, 1000], 200, {100: 100, 1000: 20})
    else:
        summary = run([1, 100, 10_000], 2000, {100: 1000, 10_000: 40})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
