"""What a crawl learnt about each document, kept until the end, then settled in read order.

Documents are read in whatever order their downloads finish, by one process or by several that
share a crawl. What the feeds and the coverage report say must not depend on that: which copy of a
text is kept, which URLs are listed first for a term, which near misses are shown as examples. So
each step of the crawl leaves its verdict on a document in a :class:`Ledger`, under the document's
*read order* (its page's level, site order and rank in the site, :attr:`watch.scope.Release.order`),
and the end of the crawl settles everything in that order:

* :func:`match_tally` counts the documents per equation and per term, with each term's first URLs;
* :func:`release` decides which documents reach the feeds: those the monitoring state wants
  (when there is one), then each text once (:class:`Deduplicator`).

A site's verdicts are plain JSON values (:func:`to_json`, :func:`from_json`), so they travel with
the site when several processes share a crawl, and the process that writes the feeds settles
exactly what one process would have.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watch.fingerprints import NearDuplicateIndex
from watch.query.nearmiss import Sighting
from watch.report import MatchTally, TermTally

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from watch.report import NearMiss

logger = logging.getLogger(__name__)

Order = tuple[int, ...]

#: Texts shorter than this are never near-duplicates: a simhash of a few words (or of none: 0)
#: is near many unrelated ones.
MIN_WORDS_FOR_NEAR = 20


@dataclass(frozen=True)
class HeldDocument:
    """A document that passed the equations, held for the end of the crawl: what the feeds need
    (``fields``, the exported ones) and what deciding on duplicates needs."""

    fields: dict[str, Any]
    fingerprint: str
    simhash: int | None  #: ``None`` for a text too short to be compared (:data:`MIN_WORDS_FOR_NEAR`)
    has_words: bool


@dataclass
class DocumentEvidence:
    """Everything the crawl learnt about one document."""

    read_order: Order
    url: str
    #: Terms of the equations the document contains, as written.
    terms: tuple[str, ...] = ()
    #: Equations it satisfies; ``None`` when the crawl has no equation.
    equations: tuple[str, ...] | None = None
    near_misses: tuple[Sighting, ...] = ()
    #: The document itself, when it passed the equations (or there were none).
    held: HeldDocument | None = None


class Ledger:
    """Every document's evidence, by site, until the end of the crawl (see the module docstring)."""

    def __init__(self) -> None:
        self._sites: dict[str, dict[tuple[Order, str], DocumentEvidence]] = {}

    def evidence(self, site: str, read_order: Order, url: str) -> DocumentEvidence:
        """The evidence of one document, to fill in (created on first use)."""
        documents = self._sites.setdefault(site, {})
        found = documents.get((read_order, url))
        if found is None:
            found = documents[read_order, url] = DocumentEvidence(read_order, url)
        return found

    def take_site(self, site: str) -> list[DocumentEvidence]:
        """Remove and return a site's evidence (it leaves with the site), in read order."""
        return sorted(self._sites.pop(site, {}).values(), key=_order)

    def add_site(self, site: str, evidence: Iterable[DocumentEvidence]) -> None:
        """Put back a site's evidence (read from where another process left it)."""
        documents = self._sites.setdefault(site, {})
        for entry in evidence:
            documents[entry.read_order, entry.url] = entry

    def in_read_order(self) -> list[DocumentEvidence]:
        """Every document's evidence, in read order."""
        return sorted((entry for documents in self._sites.values() for entry in documents.values()), key=_order)

    def __len__(self) -> int:
        return sum(len(documents) for documents in self._sites.values())


def _order(entry: DocumentEvidence) -> tuple[Order, str]:
    # The URL only breaks ties between documents read outside the scope's slots (no order).
    return (entry.read_order, entry.url)


# -- settling ---------------------------------------------------------------------------------


def match_tally(
    evidence: Sequence[DocumentEvidence],
    terms: Sequence[str],
    equations: Sequence[str],
    near_misses: dict[str, tuple[NearMiss, ...]],
    *,
    first_urls: int = 5,
) -> MatchTally:
    """Count, in read order, the documents per term (with the first ``first_urls`` URLs) and per
    equation, and those satisfying any; terms and equations never hit count 0."""
    by_term: dict[str, list[str]] = {term: [] for term in terms}
    counts: Counter[str] = Counter()
    by_equation: Counter[str] = Counter({name: 0 for name in equations})
    matched = 0
    for entry in evidence:
        for term in entry.terms:
            counts[term] += 1
            urls = by_term.setdefault(term, [])
            if len(urls) < first_urls:
                urls.append(entry.url)
        if entry.equations:
            matched += 1
            by_equation.update(entry.equations)
    return MatchTally(
        matched,
        dict(by_equation),
        {term: TermTally(counts[term], tuple(urls)) for term, urls in by_term.items()},
        near_misses,
    )


@dataclass
class Released:
    """The outcome of :func:`release`: the documents for the feeds, in read order, and counts."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    #: Documents held until the end of the crawl (by every process of a shared crawl).
    held: int = 0
    #: Held documents the monitoring state did not want (unchanged, or not new).
    not_exported_by_changes: int = 0
    #: ``watch/changes/<change>`` and ``watch/dedup/<case>`` counts.
    counts: Counter[str] = field(default_factory=Counter)


def release(
    evidence: Iterable[DocumentEvidence],
    deduplicator: Deduplicator,
    label: Callable[[dict[str, Any]], tuple[str, bool]] | None = None,
) -> Released:
    """Decide which held documents reach the feeds, in read order.

    Each held document is first labelled against the monitoring state, when there is one
    (``label`` returns its change, ``new``/``changed``/``unchanged``, written in its ``change``
    field, and whether it is wanted); then the wanted ones are deduplicated.
    """
    released = Released()
    for entry in evidence:
        held = entry.held
        if held is None:
            continue
        released.held += 1
        if label is not None:
            change, wanted = label(held.fields)
            held.fields["change"] = change
            released.counts[f"watch/changes/{change}"] += 1
            if not wanted:
                released.not_exported_by_changes += 1
                continue
        if deduplicator.keep(held):
            released.documents.append(held.fields)
    released.counts.update(deduplicator.counts)
    return released


class Deduplicator:
    """Each text once (DESIGN §5), deciding on documents one by one in read order.

    For each document:

    1. its canonical URL was decided already (two URLs that redirect to one page): dropped,
       ``same_url``;
    2. its content fingerprint (the normalised text) equals that of a kept document: dropped; from
       a site that document or one of its copies already comes from, ``same_content_same_site``;
       from another site, its URL is added to the kept document's ``also_at``,
       ``same_content_other_site``;
    3. its simhash (texts of at least :data:`MIN_WORDS_FOR_NEAR` words) is within
       ``near_distance`` bits of a kept document's: it gets that document's URL in
       ``near_duplicate_of`` (``near_duplicate``) and is kept, unless ``drop_near``
       (``near_duplicate_dropped``).

    A document without a single word has nothing to compare: it is kept (``no_text``).

    >>> dedup = Deduplicator()
    >>> first = HeldDocument({"url": "http://a.test/1", "site": "a.test"}, "f1", None, True)
    >>> copy = HeldDocument({"url": "http://b.test/x", "site": "b.test"}, "f1", None, True)
    >>> dedup.keep(first), dedup.keep(copy), first.fields["also_at"]
    (True, False, ['http://b.test/x'])
    """

    def __init__(self, near_distance: int = 3, drop_near: bool = False) -> None:
        self.drop_near = drop_near
        self.counts: Counter[str] = Counter()
        self._near = NearDuplicateIndex(near_distance)
        self._urls: set[str] = set()
        self._kept: dict[str, tuple[dict[str, Any], set[str]]] = {}  # fingerprint -> (fields, sites)

    def keep(self, document: HeldDocument) -> bool:
        """Whether ``document`` is exported; a copy's URL goes into the kept one's ``also_at``."""
        fields = document.fields
        url = fields.get("url") or ""
        canonical_url = fields.get("canonical_url") or url
        if canonical_url in self._urls:
            return self._drop("same_url", f"{url} was already read as {canonical_url}")
        self._urls.add(canonical_url)
        if not document.has_words:
            self.counts["watch/dedup/no_text"] += 1
            return True
        site = fields.get("site") or ""
        kept = self._kept.get(document.fingerprint)
        if kept is not None:
            original, sites = kept
            if site in sites:
                return self._drop("same_content_same_site", f"{url} has the text of {original['url']}")
            sites.add(site)
            original["also_at"] = [*original.get("also_at", []), url]
            return self._drop("same_content_other_site", f"{url} has the text of {original['url']} (added to also_at)")
        self._kept[document.fingerprint] = (fields, {site})
        if document.simhash is None:
            self.counts["watch/dedup/too_short_for_near"] += 1
            return True
        near = self._near.nearest(document.simhash)
        self._near.add(document.simhash, url)
        if near is not None:
            fields["near_duplicate_of"] = near[0]
            self.counts["watch/dedup/near_duplicate"] += 1
            if self.drop_near:
                return self._drop("near_duplicate_dropped", f"{url} is {near[1]} bits from {near[0]}")
        return True

    @property
    def folded(self) -> int:
        """Documents folded into another (same URL or same text)."""
        return sum(
            self.counts[f"watch/dedup/{case}"]
            for case in ("same_url", "same_content_same_site", "same_content_other_site")
        )

    def _drop(self, case: str, reason: str) -> bool:
        self.counts[f"watch/dedup/{case}"] += 1
        logger.debug("Dropped duplicate (%s): %s", case, reason)
        return False


# -- as JSON -----------------------------------------------------------------------------------


def to_json(evidence: Iterable[DocumentEvidence]) -> list[dict[str, Any]]:
    """Plain JSON values for a list of evidence (see :func:`from_json`).

    >>> held = HeldDocument({"url": "http://a.test/"}, "f1", 7, True)
    >>> entry = DocumentEvidence((1, 1, 0), "http://a.test/", ("Quorum",), ("query",),
    ...                          (Sighting("Quorum", ("quorums",), "Quorums"),), held)
    >>> from_json(to_json([entry])) == [entry]
    True
    """
    return [
        {
            "order": list(entry.read_order),
            "url": entry.url,
            "terms": list(entry.terms),
            "equations": None if entry.equations is None else list(entry.equations),
            "near": [[s.term, list(s.run), s.shown] for s in entry.near_misses],
            "held": None
            if entry.held is None
            else {
                "fields": entry.held.fields,
                "fingerprint": entry.held.fingerprint,
                "simhash": entry.held.simhash,
                "has_words": entry.held.has_words,
            },
        }
        for entry in evidence
    ]


def from_json(values: Iterable[dict[str, Any]]) -> list[DocumentEvidence]:
    """The evidence :func:`to_json` wrote."""
    return list(_from_json(values))


def _from_json(values: Iterable[dict[str, Any]]) -> Iterator[DocumentEvidence]:
    for value in values:
        held = value["held"]
        yield DocumentEvidence(
            tuple(value["order"]),
            value["url"],
            tuple(value["terms"]),
            None if value["equations"] is None else tuple(value["equations"]),
            tuple(Sighting(term, tuple(run), shown) for term, run, shown in value["near"]),
            None
            if held is None
            else HeldDocument(held["fields"], held["fingerprint"], held["simhash"], held["has_words"]),
        )
