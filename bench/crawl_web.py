"""The crawl benchmark's web: real pages, rewritten into a closed web of levels of sites.

Every page is a page of ``corpus/realpages`` (real HTML: its markup, scripts, styles, boilerplate
and encoding kept byte for byte) whose ``<a href>`` and ``<area href>`` values are rewritten to
point inside this web; ``<base href>`` points at the page's own site. A page's links go, in turn,
to each page of its site, to the sites it leads to at the next level (its blogroll), back to the
site that led to it and to the portal, over and over as the page has links (a page with fewer
links than that gets a list of the missing ones before ``</body>``). So every page links all
pages of its site, and a breadth-first reader reads exactly the :data:`PAGES_PER_SITE` pages of
each site.

Levels: the portal (a plain page listing the level-1 sites) is level 0; ``sites`` sites of
:data:`PAGES_PER_SITE` pages lie on levels 1 to 5 (a ninth on level 1, the rest spread evenly);
each level-5 site leads to one level-6 site, a single page linking back. A crawl limited to five
levels of sites (watch) must read exactly the pages of levels 0-5; a crawler that follows every
link (the bare spider) also reads the level-6 pages, which the benchmark accounts apart.

A few pages get a sentence naming one term of the seed's equation, just before ``</body>``: those
of levels 1-5 are what watch must export, the one on level 6 is what it must not reach. No
corpus page contains any term of the equation otherwise (checked by the tests).
"""

from __future__ import annotations

import functools
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from w3lib.encoding import html_to_unicode

from mockweb.html import filler, page
from mockweb.server import Resource, resource_key

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "realpages"
START_URL = "http://portal.bench.test/"
PAGES_PER_SITE = 10
LEVELS = 5
#: The seed's equation (the README's example), run by watch in the benchmark.
EQUATION = 'Quorum OR Carata OR Poligma Or Nationbuilder Or "Digital Box" OR "Blue State Digital"'
TERMS = ("Quorum", "Carata", "Poligma", "Nationbuilder", "Digital Box", "Blue State Digital")
#: Pages of levels 1-5 that get a planted term.
PLANTED_PAGES = 12

# Attribute values of the links crawlers follow (LinkExtractor's tags), and of <base>.
_LINK = re.compile(r"""(<(?:a|area)\b[^>]*?\shref\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
_BASE = re.compile(r"""(<base\b[^>]*?\shref\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)


@dataclass(frozen=True)
class BenchWeb:
    """The web, and what each crawl of it must fetch and find."""

    resources: dict[str, Resource]
    #: Site (host) -> level (the portal is 0).
    levels: dict[str, int]
    #: Resource keys of the pages of levels 0-5: what both crawls must fetch.
    required: frozenset[str]
    #: Resource keys of the level-6 pages: the bare spider fetches them, watch must not.
    beyond: frozenset[str]
    #: URL -> term planted in it, on levels 1-5: exactly what watch must export.
    planted: dict[str, str]
    #: URL of the level-6 page with a planted term.
    planted_beyond: str


def level_sizes(sites: int) -> tuple[int, ...]:
    """How many sites each level 1-5 holds: a ninth at level 1, the rest spread over levels 2-5.

    >>> level_sizes(270), level_sizes(30)
    ((30, 60, 60, 60, 60), (3, 7, 7, 7, 6))
    """
    if sites < LEVELS:
        raise ValueError(f"need at least {LEVELS} sites, one per level, got {sites}")
    first = max(1, sites // 9)
    rest = sites - first
    deeper = LEVELS - 1
    return (first, *(rest // deeper + (1 if i < rest % deeper else 0) for i in range(deeper)))


@dataclass(frozen=True)
class _Template:
    """A corpus page cut at its link values: ``parts[0] link parts[1] link … parts[-1]``.

    Text is the page's bytes read as latin-1 (one character a byte), so writing it back as
    latin-1 gives the original bytes with only the link values changed.
    """

    parts: tuple[str, ...]
    charset: str

    @property
    def links(self) -> int:
        return len(self.parts) - 1


@functools.cache
def _templates() -> tuple[_Template, ...]:
    templates = []
    for path in sorted(CORPUS.glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        charset = html_to_unicode(None, raw)[0]
        text = raw.decode("latin-1")
        parts, last = [], 0
        for match in _LINK.finditer(text):
            parts.append(text[last : match.start(2)])
            last = match.end(2)
        parts.append(text[last:])
        templates.append(_Template(tuple(parts), charset))
    return tuple(templates)


def _render(template: _Template, own_site: str, targets: list[str], planted: str | None) -> bytes:
    """The page of ``template`` with its links pointing to ``targets`` in turn."""
    links = [f'"{targets[i % len(targets)]}"' for i in range(template.links)]
    text = "".join(part + link for part, link in zip(template.parts, [*links, ""]))
    text = _BASE.sub(lambda m: f'{m.group(1)}"{own_site}"', text)
    added = ""
    if template.links < len(targets):
        missing = "".join(f'<li><a href="{url}">{url}</a></li>' for url in targets[template.links :])
        added += f'<ul class="more">{missing}</ul>'
    if planted is not None:
        added += f"<p>{planted}</p>"
    # The last </body>: scripts may write the tag in a string earlier in the page.
    ends = list(_BODY_END.finditer(text))
    at = ends[-1].start() if ends else len(text)
    return (text[:at] + added + text[at:]).encode("latin-1")


def _home(index: int) -> str:
    return f"http://s{index:03d}.bench.test/"


def _deep_home(index: int) -> str:
    return f"http://deep{index:03d}.bench.test/"


def _site_pages(home: str) -> list[str]:
    return [home, *(f"{home}p/{number}" for number in range(1, PAGES_PER_SITE))]


def _planted_at(sites: int) -> dict[tuple[int, int], str]:
    """(site index, page number) -> the sentence planted there, spread over the web."""
    return {
        (i * sites // PLANTED_PAGES, i % PAGES_PER_SITE): (
            f"The report names {TERMS[i % len(TERMS)]} (bench note {i})."
        )
        for i in range(PLANTED_PAGES)
    }


def build_bench_web(sites: int) -> BenchWeb:
    """The benchmark's web (see the module docstring). Pages are served gzip-encoded, as real
    servers send them."""
    levels: list[list[int]] = []
    first_index = 0
    for size in level_sizes(sites):
        levels.append(list(range(first_index, first_index + size)))
        first_index += size
    children: dict[int, list[str]] = {}
    parent: dict[int, str] = {}
    for parents, kids in zip(levels, levels[1:]):
        for position, kid in enumerate(kids):
            mother = parents[position % len(parents)]
            children.setdefault(mother, []).append(_home(kid))
            parent[kid] = _home(mother)
    for index in levels[-1]:
        children[index] = [_deep_home(index)]
    templates = _templates()
    planted_at = _planted_at(sites)
    resources: dict[str, Resource] = {
        START_URL: Resource(
            page("Blogs", filler(0, 1), [(_home(i), f"Blog {i}") for i in levels[0]]), gzip=True
        )
    }
    site_levels = {"portal.bench.test": 0}
    planted: dict[str, str] = {}
    for level, indexes in enumerate(levels, start=1):
        for index in indexes:
            pages = _site_pages(_home(index))
            site_levels[pages[0].split("/")[2]] = level
            back = [parent[index]] if index in parent else []
            targets = [*pages, *children.get(index, []), *back, START_URL]
            for number, url in enumerate(pages):
                sentence = planted_at.get((index, number))
                if sentence is not None:
                    planted[url] = next(term for term in TERMS if term in sentence)
                template = templates[(index * PAGES_PER_SITE + number) % len(templates)]
                body = _render(template, pages[0], targets, sentence)
                resources[url] = _page_resource(body, template)
    beyond = []
    for position, index in enumerate(levels[-1]):
        url = _deep_home(index)
        site_levels[url.split("/")[2]] = LEVELS + 1
        template = templates[(sites * PAGES_PER_SITE + position) % len(templates)]
        sentence = "Carata is here, too deep to be read." if position == 0 else None
        resources[url] = _page_resource(_render(template, url, [_home(index), START_URL], sentence), template)
        beyond.append(resource_key(url))
    planted_beyond = _deep_home(levels[-1][0])
    required = frozenset(resource_key(url) for url in resources) - frozenset(beyond)
    return BenchWeb(resources, site_levels, required, frozenset(beyond), planted, planted_beyond)


def _page_resource(body: bytes, template: _Template) -> Resource:
    return Resource(body, content_type=f"text/html; charset={template.charset}", gzip=True)
