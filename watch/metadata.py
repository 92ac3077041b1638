"""What a page says about itself besides its text: when it was published and in which language.

Both are best effort and never fail a page: a document whose date or language cannot be told is
exported with an empty field, not dropped. Neither function touches the network.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from htmldate import find_date
from lxml import etree

from watch.text import parse_html

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.html import HtmlElement
    from py3langid.langid import LanguageIdentifier

logger = logging.getLogger(__name__)

#: Fewer letters than this and a language guess is a coin toss: ``detect_language`` abstains.
MIN_LETTERS = 50
#: The identifier's probability (normalised over its 97 languages) a detection must reach.
MIN_CONFIDENCE = 0.8
# Language identification costs about a microsecond per character: it reads a sample of this size,
# taken from the longest lines (the prose), not from the menus at the top of the page. 700 gives
# the same language as 1000 on every corpus page (500 changes one), for 0.3 ms less a page.
_SAMPLE_CHARS = 700
_PROSE_CHARS = 30  # shorter lines are menu entries, buttons, dates
# The sample is chosen among the lines of the text's first characters only, so that a page of
# megabytes costs no more than an article: twice a typical page's text (11,000 characters).
_PREFIX_CHARS = 20_000


def published_date(page: HtmlElement | str, url: str) -> str:
    """Return the date the page was first published, ``YYYY-MM-DD``, or ``""`` if it does not say.

    Steps:

    1. ``page`` is the page's parsed tree (:func:`watch.text.parse_html`, shared with the other
       readers of the page), or its HTML, which is parsed first.
    2. htmldate reads the tree, in its fast mode (``extensive_search=False``) and preferring the
       original publication date over a later update: the date in ``url`` (``/2019/05/12/``),
       the page's metadata (``article:published_time``, JSON-LD, ``<time>``…), then a few markup
       patterns. It never modifies a tree it is given: before pruning one it copies it (pinned
       htmldate 1.11, ``find_date``), which costs less than parsing the page again. Given a tree,
       never a string, it never takes the page for a URL to download.
    3. htmldate's log messages are about the page, not about watch: they are silenced during the
       call, and anything it raises means "no date".

    >>> published_date('<html><head><meta property="article:published_time" '
    ...                'content="2024-03-05T10:00:00+01:00"></head><body><p>x</p></body></html>',
    ...                "https://blog.test/post")
    '2024-03-05'
    >>> published_date("<html><body><p>Quorum</p></body></html>", "https://blog.test/2021/06/17/q")
    '2021-06-17'
    >>> published_date("<p>no date here</p>", "https://blog.test/about")
    ''
    """
    root = page if isinstance(page, etree._Element) else parse_html(page)
    with _quiet("htmldate"):
        try:
            found = find_date(root, url=url or None, original_date=True, extensive_search=False)
        # htmldate runs many parsers over hostile markup; its failure only means "no date".
        except Exception:  # noqa: BLE001
            logger.debug("htmldate failed on %s", url, exc_info=True)
            return ""
    return found or ""


def detect_language(text: str, declared: str = "") -> str:
    """Return the ISO 639-1 code of the language ``text`` is written in, or ``""`` when unsure.

    The rule, in order:

    1. The language py3langid detects, when ``text`` has at least ``MIN_LETTERS`` letters and the
       detection's probability reaches ``MIN_CONFIDENCE``: what a page says beats what its
       template declares (CMS themes often keep ``lang="en"`` on pages written in German).
    2. Else ``declared``, the page's ``<html lang>`` primary subtag (``PageText.lang``), when it
       is a two-letter code: short pages still get a language.
    3. Else ``""``.

    The identifier reads a sample of the longest lines (prose rather than menus) of the text's
    first ``_PREFIX_CHARS`` characters; its model ships with py3langid and is loaded once, on
    first use or by :func:`load_language_model`.

    >>> detect_language("Le chat dort sur la table de la cuisine depuis ce matin, tranquillement.")
    'fr'
    >>> detect_language("Quorum", declared="de"), detect_language("Quorum")
    ('de', '')
    """
    declared = declared.strip().lower()
    fallback = declared if len(declared) == 2 and declared.isascii() and declared.isalpha() else ""
    text = text[:_PREFIX_CHARS]
    if not _has_letters(text, MIN_LETTERS):
        return fallback
    language, probability = _identifier().classify(_sample(text))
    return language if probability >= MIN_CONFIDENCE and len(language) == 2 else fallback


def _has_letters(text: str, count: int) -> bool:
    """Tell whether ``text`` has at least ``count`` letters, reading no further than the last one.

    >>> _has_letters("12 ab, 3c", 3), _has_letters("12 ab, 3c", 4)
    (True, False)
    """
    if count <= 0:
        return True
    for character in text:
        if character.isalpha():
            count -= 1
            if not count:
                return True
    return False


def _sample(text: str) -> str:
    """Return the prose of ``text`` for identification: its longest lines, up to ``_SAMPLE_CHARS``.

    Lines shorter than ``_PROSE_CHARS`` (menu entries, buttons, dates, often in English whatever
    the page's language) are left out, unless the text has no longer line.

    >>> _sample("Home\\nA line of prose, long enough to be prose.\\nMenu")
    'A line of prose, long enough to be prose.'
    >>> _sample("Home\\nMenu")
    'Home\\nMenu'
    """
    lines = sorted(text.splitlines(), key=len, reverse=True)
    prose = [line for line in lines if len(line) >= _PROSE_CHARS] or lines
    chosen: list[str] = []
    size = 0
    for line in prose:
        if size >= _SAMPLE_CHARS:
            break
        chosen.append(line)
        size += len(line)
    return "\n".join(chosen)


def load_language_model() -> None:
    """Load the language model now, not on the first page read (it takes most of a second).

    A crawl process calls it in a thread as it opens: a main meanwhile fetches its start page, a
    helper of a shared crawl waits for work, instead of pausing its first sites. Thread-safe: a
    detection asked for meanwhile waits for this load rather than making another.
    """
    _identifier()


_LOADING = threading.Lock()


def _identifier() -> LanguageIdentifier:
    with _LOADING:
        return _load_identifier()


@lru_cache(maxsize=1)
def _load_identifier() -> LanguageIdentifier:
    """Load py3langid's model (about a second) the first time a language is asked for.

    The model's feature table ships as float16: every detection would gather its rows and have
    numpy widen them to float32 one by one, a third of the time of a detection. The table is
    widened once here instead (exactly: every float16 is a float32, so every score is the same),
    for about 28 MB more memory. The identifier is built as ``from_model_file`` builds it (pinned
    py3langid 0.4), so that only the widened table stays in memory.
    """
    import numpy as np  # py3langid's own dependency
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import load_model

    table, priors, classes, next_move, rows, output = load_model(MODEL_DIR / MODEL_FILE)
    return LanguageIdentifier(
        np.asarray(table, dtype=np.float32),
        np.asarray(priors),
        classes,
        next_move,
        output,
        norm_probs=True,
        tk_row=rows,
    )


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Silence the logger ``name`` and its children while the block runs.

    The loggers are disabled rather than given a higher level: ``Logger.setLevel`` empties the
    level cache of every logger of the process, twice per page read, and costs more than the
    silence is worth. Their levels are left as they are.
    """
    loggers = _family(name)
    disabled = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was_disabled in zip(loggers, disabled):
            logger.disabled = was_disabled


@lru_cache(maxsize=4)  # one library is silenced: htmldate
def _family(name: str) -> tuple[logging.Logger, ...]:
    """The logger ``name`` and its children, as they stand once the library is imported."""
    prefix = f"{name}."
    children = [known for known in logging.root.manager.loggerDict if known.startswith(prefix)]
    return tuple(logging.getLogger(known) for known in (name, *children))
