"""Tests of watch.metadata: publication dates and languages, best effort, never failing a page."""

from __future__ import annotations

import gzip
import logging
import threading
import time
from pathlib import Path

import htmldate.utils
import numpy as np
import pytest
from lxml import etree
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from tests.conftest import REPO
from watch.metadata import (
    _PREFIX_CHARS,
    MIN_LETTERS,
    _identifier,
    _load_identifier,
    _quiet,
    detect_language,
    load_language_model,
    published_date,
)
from watch.text import parse_html, visible_text

DATA = Path(__file__).parent / "data"
CORPUS = REPO / "corpus" / "realpages"


def read_page(name: str) -> str:
    return gzip.decompress((DATA / f"text_{name}.html.gz").read_bytes()).decode("utf-8")


def html_page(head: str = "", body: str = "<p>Quorum</p>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("html", "url", "expected"),
    [
        (html_page('<meta property="article:published_time" content="2024-03-05T10:00:00+01:00">'),
         "https://blog.test/post", "2024-03-05"),
        (html_page('<script type="application/ld+json">{"@type": "BlogPosting", '
                   '"datePublished": "2023-11-02T08:00:00Z"}</script>'), "", "2023-11-02"),
        (html_page(body='<article><time datetime="2022-01-31">31 janvier</time><p>x</p></article>'),
         "", "2022-01-31"),
        (html_page(), "https://blog.test/2021/06/17/quorum", "2021-06-17"),
        # The original publication date, not the last update.
        (html_page('<meta property="article:published_time" content="2020-02-01">'
                   '<meta property="article:modified_time" content="2024-05-06">'),
         "", "2020-02-01"),
        # Nothing to tell, or nothing to read.
        (html_page(), "https://blog.test/about", ""),
        (html_page(body="<p>Call 2021 or 06 17</p>"), "", ""),
        ("", "", ""),
        ("<<<>>>", "https://blog.test/", ""),
        ("\x00\x01\ud800", "", ""),
        ("not html at all", "not a url", ""),
    ],
)  # fmt: skip
def test_published_date(html: str, url: str, expected: str) -> None:
    assert published_date(html, url) == expected


def test_published_date_never_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    """htmldate downloads a *string* that looks like a URL: it is only ever given a tree."""

    def fetch_url(url: str) -> None:
        raise AssertionError(f"htmldate tried to download {url}")

    monkeypatch.setattr(htmldate.utils, "fetch_url", fetch_url)
    assert published_date("https://blog.test/2021/06/17/quorum", "https://blog.test/") == ""
    # A page that says nothing still has the date of its URL.
    assert published_date("http://blog.test/", "https://blog.test/2021/06/17/q") == "2021-06-17"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.html.gz")), ids=lambda path: path.name)
def test_published_date_reads_the_shared_tree_without_changing_it(path: Path) -> None:
    root = parse_html(gzip.decompress(path.read_bytes()))
    before = etree.tostring(root)
    published_date(root, "")
    assert etree.tostring(root) == before


def test_published_date_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    library = logging.getLogger("htmldate")
    before = library.level
    published_date("<p>no html tag, no date</p>", "https://blog.test/")  # htmldate logs an error
    published_date("", "")
    assert [r for r in caplog.records if r.name.startswith("htmldate")] == []
    assert library.level == before


@pytest.mark.parametrize(
    ("name", "published", "language"),
    [
        ("boingboing.net.millenials", "2013-07-19", "en"),
        ("die-partei.net.luebeck", "2012-05-31", "de"),
        ("psl.eu.luniversite", "2019-11-06", "fr"),
        # Declares lang="en-US" but is written in German; its URL (/2017/7/12/) carries the
        # original date, its JSON-LD a later republication (2019-06-17).
        ("befifty.montauk", "2017-07-12", "de"),
    ],
)
def test_real_pages(name: str, published: str, language: str) -> None:
    html = read_page(name)
    assert published_date(html, "") == published
    root = parse_html(html)
    assert published_date(root, "") == published
    page = visible_text(root)
    assert detect_language(page.text, page.lang) == language


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("Le chat dort sur la table de la cuisine depuis ce matin, tranquillement.", "", "fr"),
        ("Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.", "", "de"),
        ("The quick brown fox jumps over the lazy dog near the river bank today.", "", "en"),
        ("El rápido zorro marrón salta sobre el perro perezoso junto al río hoy.", "", "es"),
        # Confident detection beats the declared language.
        ("Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.", "en", "de"),
        # Too short to tell: the declared language, if any.
        ("Das ist ein kurzer Satz.", "", ""),
        ("Das ist ein kurzer Satz.", "de", "de"),
        ("Das ist ein kurzer Satz.", " DE ", "de"),
        ("Das ist ein kurzer Satz.", "deu", ""),
        ("", "", ""),
        ("1234 5678 " * 20, "", ""),
        # Unsure: names, menus, no language at all.
        ("Quorum Carata Poligma Nationbuilder " * 3, "", ""),
        ("Login Logout Home Contact Impressum Datenschutz Newsletter Shop Kontakt", "", ""),
        ("xkcd qwrt zzpq brrr mmnt hjkl " * 3, "", ""),
        ("xkcd qwrt zzpq brrr mmnt hjkl " * 3, "fr", "fr"),
    ],
)
def test_detect_language(text: str, declared: str, expected: str) -> None:
    assert detect_language(text, declared) == expected


def test_detect_language_reads_the_prose_not_the_menus() -> None:
    menu = "\n".join(["Home", "About", "Contact", "Login", "Search", "Shop"] * 300)
    prose = "Le conseil municipal a voté hier soir le budget de la commune pour l'année prochaine."
    assert detect_language(f"{menu}\n{prose}\n{menu}") == "fr"


def test_only_a_prefix_of_the_text_is_read() -> None:
    german = "Der Stadtrat hat am Montag über die neue Geschäftsordnung der Stadt beraten.\n"
    french = "Le conseil municipal a voté hier soir le budget de la commune pour l'année.\n"
    filler = "12345\n" * (_PREFIX_CHARS // 6)  # short lines: not prose, and no letters
    assert detect_language(german + filler + french * 100) == "de"
    assert detect_language(filler + german * 100) == ""
    assert detect_language(filler + german * 100, declared="de") == "de"


def test_min_letters_is_the_threshold() -> None:
    sentence = "Der schnelle braune Fuchs springt über den faulen Hund am Flussufer heute."
    letters = [i for i, c in enumerate(sentence) if c.isalpha()]
    assert detect_language(sentence[: letters[MIN_LETTERS - 1] + 1]) == "de"
    assert detect_language(sentence[: letters[MIN_LETTERS - 2] + 1]) == ""


@pytest.fixture(scope="module")
def shipped_identifier() -> LanguageIdentifier:
    """py3langid's identifier exactly as the library builds it (float16 feature table)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_a_detection_asked_for_while_the_model_loads_waits_for_that_load() -> None:
    _load_identifier.cache_clear()
    loading = threading.Thread(target=load_language_model)
    loading.start()
    time.sleep(0.05)  # the thread holds the loading lock (the load takes most of a second)
    assert detect_language("Le chat dort sur la table de la cuisine depuis ce matin, tranquillement.") == "fr"
    loading.join()
    assert _load_identifier.cache_info().misses == 1  # loaded once, by the thread


@pytest.mark.parametrize(
    "text",
    [
        "Le chat dort sur la table de la cuisine depuis ce matin, tranquillement.",
        "Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.",
        "Quorum Carata Poligma Nationbuilder",
        "",
        "東京 élection 2024 ½",
    ],
)
def test_widened_model_scores_as_shipped(text: str, shipped_identifier: LanguageIdentifier) -> None:
    assert _identifier().nb_ptc.dtype == np.float32
    assert _identifier().rank(text) == shipped_identifier.rank(text)


def test_real_pages_scored_as_shipped(shipped_identifier: LanguageIdentifier) -> None:
    for path in sorted(DATA.glob("text_*.html.gz")):
        text = visible_text(gzip.decompress(path.read_bytes()).decode("utf-8")).text
        assert _identifier().classify(text) == shipped_identifier.classify(text), path.name


def test_quiet_silences_every_htmldate_logger_and_restores_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    children = [logging.getLogger(name) for name in ("htmldate.core", "htmldate.utils")]
    children[1].disabled = True  # disabled by someone else: stays so
    try:
        with _quiet("htmldate"):
            for logger in children:
                logger.error("about the page")
        assert [r for r in caplog.records if r.name.startswith("htmldate")] == []
        assert [logger.disabled for logger in children] == [False, True]
    finally:
        children[1].disabled = False
