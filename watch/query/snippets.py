"""Short excerpts that show an analyst why a document matched: the matched words in context.

An excerpt is plain text meant for a CSV cell or a log line: whitespace collapsed to single
spaces, cut between words with ``…`` where the text goes on, and every matched word marked
``«like this»`` (no HTML, nothing a spreadsheet would interpret).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watch.query.terms import NEAR

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from watch.normalize import Spans
    from watch.query import DocumentWords, Match

ELLIPSIS = "…"
OPEN_MARK = "«"
CLOSE_MARK = "»"

# How far an excerpt may grow past its budget to end on whitespace rather than inside a run of
# non-space characters (a word glued to punctuation); longer runs (URLs) are cut.
_MAX_WORD_OVERHANG = 24


def snippets(
    doc: DocumentWords, match: Match, *, per_term: int = 2, width: int = 160
) -> list[str]:
    """Return excerpts of ``doc.text`` around the occurrences of ``match``'s terms.

    Steps:

    1. for each term, in equation order, pick its first ``per_term`` occurrences; one already
       visible in an excerpt picked for an earlier term counts without a new excerpt;
    2. grow each picked occurrence word by word, alternately left and right, while the excerpt
       stays within ``width`` characters once its whitespace is collapsed;
    3. widen each excerpt to the surrounding whitespace, so no word is cut (``l’Élection``,
       ``Box.``), and merge excerpts that overlap or touch;
    4. mark every occurrence of every matched term inside each excerpt with ``«`` and ``»``
       (both sides of a ``NEAR``, not the words between them), collapse whitespace, and put
       ``…`` where the document goes on before or after.

    Excerpts come in reading order.

    >>> from watch.query import DocumentWords, compile_query
    >>> doc = DocumentWords.from_text("Tools.\\n\\nWe compared  Digital\\nBox with Quorum.")
    >>> snippets(doc, compile_query('"digital box" OR quorum').match(doc))
    ['Tools. We compared «Digital Box» with «Quorum».']
    >>> snippets(doc, compile_query("quorum").match(doc), width=20)
    ['… Box with «Quorum».']
    """
    spans = _occurrence_spans(doc, match)
    windows: list[tuple[int, int]] = []  # word index ranges [first, last]
    for term in match.terms:
        shown = 0
        for start, end in match.occurrences.get(term, ()):
            if shown >= per_term:
                break
            if end <= start:
                continue
            shown += 1
            if not any(first <= start and end - 1 <= last for first, last in windows):
                windows.append(_grow(doc.text, doc.spans, start, end - 1, width))
    excerpts = _merge(_char_range(doc.text, doc.spans, window) for window in windows)
    return [_render(doc.text, excerpt, spans) for excerpt in excerpts]


def _occurrence_spans(doc: DocumentWords, match: Match) -> list[tuple[int, int]]:
    """Return the character spans to mark, overlaps united, in reading order.

    A ``NEAR`` occurrence covers both sides and the words between them: only the sides are
    marked.
    """
    starts, ends = doc.spans
    ranges: list[tuple[int, int]] = []
    for term, found in match.occurrences.items():
        if term.kind == NEAR:
            found = [
                (start, end)
                for side in term.operands
                for start, end in doc.occurrences(side)
                if any(low <= start and end <= high for low, high in found)
            ]
        ranges.extend(found)
    return _merge((starts[start], ends[end - 1]) for start, end in ranges if end > start)


def _collapsed_length(text: str) -> int:
    """Length of ``text`` once runs of whitespace are single spaces and the ends are stripped."""
    return len(" ".join(text.split()))


def _grow(text: str, spans: Spans, first: int, last: int, width: int) -> tuple[int, int]:
    """Extend the word range ``[first, last]`` alternately left and right within ``width``."""
    starts, ends = spans
    grew = True
    while grew:
        grew = False
        if first > 0 and _collapsed_length(text[starts[first - 1] : ends[last]]) <= width:
            first -= 1
            grew = True
        if last < len(starts) - 1 and _collapsed_length(text[starts[first] : ends[last + 1]]) <= width:
            last += 1
            grew = True
    return first, last


def _char_range(text: str, spans: Spans, window: tuple[int, int]) -> tuple[int, int]:
    """The characters of a word range, widened to the whitespace around it (within reason)."""
    start, end = spans.starts[window[0]], spans.ends[window[1]]
    floor, ceiling = max(0, start - _MAX_WORD_OVERHANG), min(len(text), end + _MAX_WORD_OVERHANG)
    while start > floor and not text[start - 1].isspace():
        start -= 1
    while end < ceiling and not text[end].isspace():
        end += 1
    return start, end


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort character ranges and merge those that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, excerpt: tuple[int, int], spans: Sequence[tuple[int, int]]) -> str:
    """Mark the spans inside ``excerpt``, collapse whitespace, add ``…`` where text was cut."""
    start, end = excerpt
    pieces: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces += [text[cursor:span_start], OPEN_MARK, text[span_start:span_end], CLOSE_MARK]
        cursor = span_end
    pieces.append(text[cursor:end])
    body = " ".join("".join(pieces).split())
    before = ELLIPSIS + " " if text[:start].strip() else ""
    after = " " + ELLIPSIS if text[end:].strip() else ""
    return before + body + after
