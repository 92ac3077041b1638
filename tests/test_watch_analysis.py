"""Page analysis: one pure function from HTML to what the document needs."""

from __future__ import annotations

from watch.analysis import PageAnalysis, analyse_page
from watch.fingerprints import content_fingerprint
from watch.text import PageText

HTML = """<html lang="de"><head><title>Wahl</title><script>Quorum</script></head>
<body><h1>Kommunalwahl</h1><p>Der Stadtrat hat am Montag über die neue Geschäftsordnung beraten
und sie mit großer Mehrheit angenommen.</p><time datetime="2024-03-14">14. März</time></body></html>"""


def only_headings(html: str) -> PageText:
    """A swapped-in extractor (WATCH_TEXT_EXTRACTOR): keeps the first heading only."""
    return PageText(title="H", text=html.split("<h1>")[1].split("</h1>")[0], lang="")


def test_default_extractor_reads_title_text_date_language_and_fingerprint() -> None:
    page = analyse_page(HTML, "http://a.test/2024/03/14/wahl")
    assert page.title == "Wahl"
    assert "Quorum" not in page.text and "Stadtrat" in page.text
    assert page.published == "2024-03-14"
    assert page.language == "de"
    assert page.fingerprint == content_fingerprint(page.title, page.text)


def test_extractor_is_named_by_dotted_path() -> None:
    page = analyse_page(HTML, "http://a.test/", f"{__name__}.only_headings")
    assert (page.title, page.text) == ("H", "Kommunalwahl")
    assert isinstance(page, PageAnalysis)
