"""Page analysis: one parsed tree in, what the document needs out."""

from __future__ import annotations

from lxml import etree

from watch.analysis import PageAnalysis, analyse_page
from watch.fingerprints import content_fingerprint
from watch.text import PageText, parse_html

HTML = """<html lang="de"><head><title>Wahl</title><script>Quorum</script></head>
<body><h1>Kommunalwahl</h1><p>Der Stadtrat hat am Montag über die neue Geschäftsordnung beraten
und sie mit großer Mehrheit angenommen.</p><time datetime="2024-03-14">14. März</time></body></html>"""


def only_headings(root: etree._Element, *, max_chars: int | None) -> PageText:
    """A swapped-in extractor (WATCH_TEXT_EXTRACTOR): keeps the first heading only, and ignores
    the cap on the text."""
    return PageText(title="H", text=root.findtext(".//h1") or "", lang="")


def test_default_extractor_reads_title_text_date_language_and_fingerprint() -> None:
    page = analyse_page(parse_html(HTML), "http://a.test/2024/03/14/wahl")
    assert page.title == "Wahl"
    assert "Quorum" not in page.text and "Stadtrat" in page.text
    assert page.published == "2024-03-14"
    assert page.language == "de"
    assert page.fingerprint == content_fingerprint(page.title, page.text)


def test_date_is_read_from_the_tree() -> None:
    assert analyse_page(parse_html(HTML), "http://a.test/wahl").published == "2024-03-14"


def test_extractor_is_named_by_dotted_path() -> None:
    page = analyse_page(parse_html(HTML), "http://a.test/", f"{__name__}.only_headings")
    assert (page.title, page.text) == ("H", "Kommunalwahl")
    assert isinstance(page, PageAnalysis)


def test_the_text_is_capped_whatever_the_extractor() -> None:
    capped = analyse_page(parse_html(HTML), "http://a.test/", f"{__name__}.only_headings", max_chars=8)
    assert (capped.text, capped.truncated) == ("Kommunal", True)
    assert capped.fingerprint == content_fingerprint("H", "Kommunal")
    page = analyse_page(parse_html(HTML), "http://a.test/", max_chars=20)
    assert (page.text, page.truncated) == ("Kommunalwahl\nDer", True)
    assert list(page.words.body_words) == ["kommunalwahl", "der"]


def test_analysis_leaves_the_shared_tree_as_it_was() -> None:
    root = parse_html(HTML)
    before = etree.tostring(root)
    analyse_page(root, "http://a.test/wahl")
    assert etree.tostring(root) == before


def test_a_pdf_says_how_much_of_it_was_read() -> None:
    from mockweb.pdf import BombPage, ScannedPage, make_pdf
    from watch.analysis import analyse_pdf

    pdf = analyse_pdf(make_pdf([ScannedPage(), BombPage(100 * 2**20), "Le quorum est atteint."], title="Arrêté"))
    assert (pdf.pages, pdf.pages_read, pdf.skipped_pages, pdf.textless_pages) == (3, 3, 1, 1)
    assert "quorum" in pdf.words.words
