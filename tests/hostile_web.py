"""A hostile web: every way a server or a page can go wrong, among healthy pages (issue 9 item 3).

Each fault has its own site, so no fault eats another's page budget: the site's home page (healthy)
links the faulty URL(s) and then ``/after`` (healthy), so a crawl that survives the fault reads
the page behind it. Every healthy page holds a word no other page holds, so a test can check that
each one was exported, with its text. The sites are all seeds (level 1) of a ``sites`` crawl.

The fault kinds are the crawler's (:class:`watch.report.Outcome` keys, counted under
``watch/faults/<kind>`` and listed by kind in the coverage report):

==================  ========================================================================
fault kind          what the server does
==================  ========================================================================
server_error        500 and 503, each retried once
connection_reset    sends 10 kB of a 200 kB body, then a TCP reset
timeout             answers after the download timeout; trickles a body slower than it
too_large           an endless body; a Content-Length over ``DOWNLOAD_MAXSIZE``
decompression_bomb  2 MB of gzip that inflate to 2 GiB (a gzip bomb)
not_text            random bytes labelled ``text/html``
bad_charset         cp1252 bytes labelled UTF-8 (the page is healthy otherwise)
redirect_loop       a → b → a; a chain of 12 redirects (more than ``REDIRECT_MAX_TIMES``)
redirect_not_http   redirects to ``file://`` and ``ftp://``
empty               an empty 200
text_truncated      a 12 MB page of text (healthy: its word is at the start)
==================  ========================================================================

Healthy but awkward: a page with 10,000 links, broken HTML, a page without any charset.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING

from mockweb import Resource
from mockweb.bodies import gzip_bomb, noise
from mockweb.html import filler, page
from mockweb.server import Stream

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The download timeout (seconds) the hostile crawl runs with: the slow answers outlast it, and
#: pages in flight while the 12 MB page is read (about a second) do not.
DOWNLOAD_TIMEOUT = 10
#: Scrapy's and watch's ``DOWNLOAD_MAXSIZE`` (16 MiB): the large bodies exceed it.
DOWNLOAD_MAXSIZE = 16 * 2**20
#: Size of the page of text (over the analysed-text cap, under ``DOWNLOAD_MAXSIZE``).
HUGE_PAGE_BYTES = 12 * 10**6
#: Links on the page with many links.
MANY_LINKS = 10_000


@dataclass
class HostileWeb:
    """The hostile web and what a crawl of it must show."""

    resources: dict[str, Resource]
    #: The home page of every site, in order: the seeds of a ``sites`` crawl.
    seeds: list[str]
    #: Healthy page URL -> the word only that page holds: each must be exported, with its word.
    healthy: dict[str, str]
    #: Fault kind -> the URLs that show it.
    faults: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _words() -> list[str]:
    """Distinct made-up words, all letters (no tokenizer splits them): ``zqxaa``, ``zqxab``…"""
    return ["zqx" + "".join(pair) for pair in product(string.ascii_lowercase, repeat=2)]


class _Builder:
    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.seeds: list[str] = []
        self.healthy: dict[str, str] = {}
        self.faults: dict[str, list[str]] = {}
        self._words = iter(_words())

    def healthy_page(self, url: str, title: str, links: Sequence[str] = ()) -> None:
        """A healthy page with its own word."""
        word = next(self._words)
        text = [f"This page holds the word {word}.", *filler(len(self.healthy), 2, lang="en")]
        self.resources[url] = Resource(page(title, text, links, lang="en"))
        self.healthy[url] = word

    def site(self, host: str, faults: dict[str, tuple[str, Resource]]) -> None:
        """A site whose home links each faulty path, then ``/after``; ``faults`` maps a path to
        its fault kind and answer."""
        home = f"http://{host}/"
        self.seeds.append(home)
        links = [*(f"{home}{path}" for path in faults), f"{home}after"]
        self.healthy_page(home, f"Home of {host}", links)
        self.healthy_page(f"{home}after", f"After the fault on {host}")
        for path, (kind, resource) in faults.items():
            self.resources[f"{home}{path}"] = resource
            self.faults.setdefault(kind, []).append(f"{home}{path}")


def _moved(location: str, status: int = 301) -> Resource:
    return Resource(status=status, headers=(("Location", location),))


def _broken_html(word: str) -> bytes:
    return (
        "<html><head><title>Broken markup</title><body><div><p>The word " + word + " is here"
        "<table><tr><td>cell<p>unclosed <i>italic <a href='/after'>after</a> <<<>>> &bogus; "
        "<div <p class=>text</i></b></span></td></tr></table></table></div></div></div>"
        "<p>Nested <a href='/after'>links <a href='/after'>inside</a></a>. <!-- a comment never closed"
    ).encode("utf-8")


def _huge_text(word: str) -> bytes:
    paragraphs = filler(99, 40, lang="en")
    block = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    head = f"<!DOCTYPE html><html><head><title>A very long page</title></head><body><p>{word} opens it.</p>\n"
    repeats = HUGE_PAGE_BYTES // len(block.encode("utf-8")) + 1
    return (head + block * repeats + "</body></html>").encode("utf-8")


def _cp1252_page(title: str, word: str, *, declare: bool) -> bytes:
    html = page(title, [f"Qualité élevée, déjà vue: {word}."], lang="fr")
    if not declare:
        html = html.replace('<meta charset="utf-8">', "")
    return html.encode("cp1252")


def build_hostile_web() -> HostileWeb:
    """The hostile web (see the module docstring for every case)."""
    web = _Builder()
    web.site("status.test", {
        "500": ("server_error", Resource("<html><body>Internal error</body></html>", status=500)),
        "503": ("server_error", Resource("<html><body>Try later</body></html>", status=503)),
    })  # fmt: skip
    web.site("reset.test", {
        "fault": ("connection_reset", Resource(b"<html><body>" + b"x" * 200_000, reset_after=10_000)),
    })  # fmt: skip
    web.site("slow.test", {
        # Three timeouts late: even if the reactor is held up past the timeout, the answer is not
        # there yet when it runs again (asyncio handles ready sockets before due timers).
        "late": ("timeout", Resource("<html><body>Too late</body></html>", delay=3 * DOWNLOAD_TIMEOUT)),
        "trickle": ("timeout", Resource(stream=Stream(b"<p>drip</p>\n", interval=0.5))),
    })  # fmt: skip
    web.site("large.test", {
        "endless": ("too_large", Resource(stream=Stream(b"<p>more</p>\n" * 5000))),
        "declared": (
            "too_large",
            Resource(stream=Stream(b"x" * 2**16, count=DOWNLOAD_MAXSIZE // 2**16 + 16)),
        ),
    })  # fmt: skip
    web.site("bomb.test", {
        "fault": (
            "decompression_bomb",
            Resource(gzip_bomb(2 * 2**30), headers=(("Content-Encoding", "gzip"),)),
        ),
    })  # fmt: skip
    web.site("binary.test", {"fault": ("not_text", Resource(noise(65536, seed=9)))})
    web.site("loop.test", {
        "a": ("redirect_loop", _moved("http://loop.test/b", 302)),
        "chain/1": ("redirect_loop", _moved("http://loop.test/chain/2")),
    })  # fmt: skip
    for hop in range(2, 13):
        web.resources[f"http://loop.test/chain/{hop}"] = _moved(f"http://loop.test/chain/{hop + 1}")
    web.resources["http://loop.test/b"] = _moved("http://loop.test/a", 302)
    web.resources["http://loop.test/chain/13"] = Resource(page("End of the chain", ["Never reached."]))
    web.site("scheme.test", {
        "file": ("redirect_not_http", _moved("file:///etc/passwd")),
        "ftp": ("redirect_not_http", _moved("ftp://ftp.scheme.test/pub/file.txt")),
    })  # fmt: skip
    web.site("empty.test", {"fault": ("empty", Resource(b""))})
    huge_word = next(web._words)
    web.site("huge.test", {"fault": ("text_truncated", Resource(_huge_text(huge_word)))})
    web.healthy["http://huge.test/fault"] = huge_word
    wrong_word = next(web._words)
    web.site("charset.test", {
        "wrong": ("bad_charset", Resource(_cp1252_page("Mauvais", wrong_word, declare=True))),
    })  # fmt: skip
    web.healthy["http://charset.test/wrong"] = wrong_word
    _healthy_but_awkward(web)
    return HostileWeb(
        resources=web.resources,
        seeds=web.seeds,
        healthy=web.healthy,
        faults={kind: tuple(urls) for kind, urls in web.faults.items()},
    )


def _healthy_but_awkward(web: _Builder) -> None:
    # No charset in the header nor in the page: the reader must guess cp1252.
    word = next(web._words)
    web.seeds.append("http://nocharset.test/")
    web.resources["http://nocharset.test/"] = Resource(
        _cp1252_page("Sans charset", word, declare=False), content_type="text/html"
    )
    web.healthy["http://nocharset.test/"] = word
    # Broken markup, read as a browser would.
    word = next(web._words)
    web.seeds.append("http://broken.test/")
    web.resources["http://broken.test/"] = Resource(_broken_html(word))
    web.healthy["http://broken.test/"] = word
    web.healthy_page("http://broken.test/after", "After the broken page")
    # 10,000 links on one page; the page budget reads the first nine.
    items = [f"http://links.test/item/{i}" for i in range(MANY_LINKS)]
    web.seeds.append("http://links.test/")
    web.healthy_page("http://links.test/", "Ten thousand links", items)
    for url in items[:9]:
        web.healthy_page(url, "An item")
