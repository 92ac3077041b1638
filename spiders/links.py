"""The link extractor of watch's crawl rules: Scrapy's ``LinkExtractor`` shape, one parse per page.

Scrapy's ``LinkExtractor`` builds Link objects from ``response.selector``, the page's lxml tree
that parsel parses once and caches on the response. :class:`PageLinkExtractor` reads that same
tree, the one :func:`watch.analysis.analyse_page` reads the text and the date from, through
:func:`watch.links.page_links`, so a page is parsed once whatever reads it::

    rules = (Rule(PageLinkExtractor(), callback="parse_page", follow=True),)

It follows what Scrapy's default extractor follows, with four differences (compared on the
corpus pages in tests/test_spiders_links.py):

* links to PDF files are followed: reports and position papers are documents too (they count in
  their site's budget like pages; the spider reads them with :func:`watch.analysis.analyse_pdf`);
* only ``http`` and ``https`` links (Scrapy's also passes ``ftp:`` and ``file:`` ones on);
* ``<base href>`` is read wherever it is, as browsers read it (Scrapy looks for it in the first
  4,096 characters of the page only);
* URLs are percent-encoded when they have non-ASCII characters (with the page's encoding, as
  Scrapy's does); other escaping is left to ``Request``, which escapes every URL it is given,
  and ``Link.text`` is left empty: the crawl never reads it, and gathering it would cost as much
  as the rest of the extraction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.link import Link
from scrapy.linkextractors import IGNORED_EXTENSIONS

from watch.links import page_links

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.http import TextResponse


#: Extensions of the links not followed by default: Scrapy's ``IGNORED_EXTENSIONS`` (images,
#: archives, office documents, media…), PDF apart.
DENIED_EXTENSIONS = tuple(extension for extension in IGNORED_EXTENSIONS if extension != "pdf")


class PageLinkExtractor:
    """Extracts a page's ``<a href>`` and ``<area href>`` links from its shared lxml tree.

    ``deny_extensions`` are extensions (without the dot) whose links are not followed; by
    default :data:`DENIED_EXTENSIONS`.
    """

    def __init__(self, deny_extensions: Iterable[str] | None = None) -> None:
        extensions = DENIED_EXTENSIONS if deny_extensions is None else deny_extensions
        self.deny_extensions = tuple(f".{extension}" for extension in extensions)

    def extract_links(self, response: TextResponse) -> list[Link]:
        """Return the page's links in document order, each URL once."""
        links = page_links(
            response.selector.root,
            response.url,
            encoding=response.encoding,
            denied_extensions=self.deny_extensions,
        )
        return [Link(link.url, nofollow=link.nofollow) for link in links]
