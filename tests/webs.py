"""The webs the end-to-end tests crawl: fake ``.test`` sites built to exercise every scope rule.

:func:`build_test_web` is the full web (DESIGN §2 and the scope semantics, case by case);
:func:`build_small_web` is a three-site web for quick checks. Both are plain data
(``url -> Resource``) served by :class:`mockweb.MockWeb`; :func:`serve` is the body of the
session fixture that starts one.

Map of the full web (levels with the default ``site_depth=5``, ``pages_per_site=10``)::

    L0 portal.test/blogs-experts   header/nav/aside/footer -> partner, social, ads, legal (decoys)
                                   main -> chain1, a.blogs, b.blogs, wide (the seeds)
                                   pagination ?page=2 -> hidden1, hidden2 (decoys)
    L1 chain1.test                 -> chain2
       a.blogs.test                -> longchain (entry /), robots
       b.blogs.test                traps: mailto/javascript/tel, 404, 500, 301, pdf, tracking
                                   parameters, fragment, reordered query; -> longchain (/page/8)
       wide.test                   home -> 5 sections -> 5 articles; 10th page read -> twice
    L2 chain2.test                 -> chain3, gone.test (no such host: 502)
       longchain.test              / -> /page/2 -> ... -> /page/15, entered at / and /page/8
       robots.test                 robots.txt disallows /private/ and /tmp, linked first;
                                   /public/9 -> forum, /public/11 (beyond budget) -> unseen
       twice.test                  also linked from chain3 (level 3), so level 2 wins; -> forum
    L3 chain3.test, gone.test, forum.test
    L4 chain4.test    L5 chain5.test    L6 chain6.test (never requested)   L7 chain7, L8 chain8
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockweb import MockWeb, Resource
from mockweb.html import Link, Markup, filler, page

if TYPE_CHECKING:
    from collections.abc import Iterator

PORTAL_START = "http://portal.test/blogs-experts"


@dataclass
class TestWeb:
    """A web to crawl and what a correct crawl of it must (not) do."""

    __test__ = False  # not a pytest test class, despite the name

    resources: dict[str, Resource]
    #: The portal's first page: the start page (level 0).
    start_url: str
    #: The URLs a correct seed extractor takes from the start page, in order.
    seeds: list[str]
    #: Sites linked from the portal outside its main content or from its page 2 only: never
    #: requested, not even their robots.txt.
    decoy_sites: frozenset[str] = frozenset()
    #: Term (as a query would spell it) -> URLs whose title or visible text contains it.
    visible_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Term -> URLs where it appears only in script, comment or attributes (must not match).
    hidden_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Pairs of URLs serving the same title and text (a content-level duplicate).
    duplicates: tuple[tuple[str, str], ...] = ()

    @property
    def scheme(self) -> str:
        """``http`` or ``https``: how the web's pages are linked and served."""
        return self.start_url.split(":", 1)[0]

    def url(self, http_url: str) -> str:
        """``http_url`` (as the map above spells it) in this web's scheme."""
        return _to_scheme(http_url, self.scheme)


def _to_scheme(text: str, scheme: str) -> str:
    return text.replace("http://", f"{scheme}://")


def over_https(web: TestWeb) -> TestWeb:
    """The same web served over https: every ``http://`` URL (resources, links in the pages,
    ``Location`` headers, the expected URLs) becomes ``https://``."""

    def convert(resource: Resource) -> Resource:
        body = resource.body
        body = _to_scheme(body, "https") if isinstance(body, str) else body.replace(b"http://", b"https://")
        headers = tuple((name, _to_scheme(value, "https")) for name, value in resource.headers)
        return dataclasses.replace(resource, body=body, headers=headers)

    def urls(mapping: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {term: tuple(_to_scheme(u, "https") for u in found) for term, found in mapping.items()}

    return TestWeb(
        resources={_to_scheme(url, "https"): convert(r) for url, r in web.resources.items()},
        start_url=_to_scheme(web.start_url, "https"),
        seeds=[_to_scheme(seed, "https") for seed in web.seeds],
        decoy_sites=web.decoy_sites,
        visible_terms=urls(web.visible_terms),
        hidden_terms=urls(web.hidden_terms),
        duplicates=tuple(
            (_to_scheme(a, "https"), _to_scheme(b, "https")) for a, b in web.duplicates
        ),
    )


class _WebBuilder:
    """Collects pages; a helper per kind of resource keeps :func:`build_test_web` readable."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}

    def add(self, url: str, resource: Resource) -> None:
        if url in self.resources:
            raise ValueError(f"{url} defined twice")
        self.resources[url] = resource

    def html(self, url: str, text: str) -> None:
        self.add(url, Resource(text))

    def article(
        self,
        url: str,
        title: str,
        links: list[Link],
        *,
        seed: int,
        lang: str,
        extra: tuple[str, ...] = (),
        site_links: tuple[Link, ...] = (),
        published: datetime.date | None = None,
        extra_head: str = "",
    ) -> None:
        """A page of ``lang`` filler text (plus ``extra`` paragraphs) whose header links
        ``site_links`` and whose main content links ``links``."""
        paragraphs = [*filler(seed, 3, lang=lang), *extra]
        self.html(
            url,
            page(
                title,
                paragraphs,
                links,
                header_links=site_links,
                lang=lang,
                published=published,
                extra_head=extra_head,
            ),
        )


def _portal(web: _WebBuilder, seeds: list[str]) -> None:
    main_text = filler(1, 2, lang="fr")
    web.html(
        PORTAL_START,
        page(
            "Blogs d'experts",
            main_text,
            [
                (seeds[0], "Le blog de la chaîne"),
                ("http://portal.test/blogs-experts/methodologie", "Notre méthodologie"),
                (seeds[1], "Blog A (hébergé)"),
                ("mailto:contact@portal.test", "Proposer un blog"),
                (seeds[2], "Blog B (hébergé)"),
                (seeds[3], "Wide, le magazine"),
            ],
            header_links=[
                ("http://portal.test/", "Accueil"),
                ("http://partner.test/", "Partenaire"),
            ],
            nav_links=[
                ("http://portal.test/annuaire", "Annuaire"),
                ("http://social.test/portal", "Suivez-nous"),
            ],
            aside_links=[("http://ads.test/promo", "Publicité")],
            footer_links=[
                ("http://legal.test/mentions", "Mentions légales"),
                ("http://portal.test/contact", "Contact"),
            ],
            main_html=(
                '<nav class="pagination"><span class="current">1</span> '
                '<a href="?page=2">2</a> <a href="/blogs-experts?page=3">3</a> '
                '<a rel="next" href="http://portal.test/blogs-experts?page=2">Suivant</a></nav>'
            ),
        ),
    )
    web.html(
        f"{PORTAL_START}?page=2",
        page(
            "Blogs d'experts (page 2)",
            filler(2, 1, lang="fr"),
            [("http://hidden1.test/", "Blog caché 1"), ("http://hidden2.test/", "Blog caché 2")],
            main_html=f'<nav class="pagination"><a rel="prev" href="{PORTAL_START}">1</a></nav>',
        ),
    )
    for url in (
        "http://portal.test/",
        "http://portal.test/annuaire",
        "http://portal.test/contact",
        "http://portal.test/blogs-experts/methodologie",
    ):
        web.article(url, "Portail", [PORTAL_START], seed=3, lang="fr")
    decoy_pages = (
        "http://partner.test/",
        "http://social.test/portal",
        "http://ads.test/promo",
        "http://legal.test/mentions",
        "http://hidden1.test/",
        "http://hidden2.test/",
    )
    for i, url in enumerate(decoy_pages):
        web.article(url, "Ne pas lire", [], seed=10 + i, lang="fr")


def _chain(web: _WebBuilder) -> None:
    """chain1 -> chain2 -> ... -> chain8, one new level per hop, with back-links."""
    for k in range(1, 9):
        home = f"http://chain{k}.test/"
        links: list[Link] = [f"{home}about"]
        if k < 8:
            links.append(f"http://chain{k + 1}.test/")
        if k > 1:
            links.append(f"http://chain{k - 1}.test/")
        links.append(PORTAL_START)
        if k == 2:
            links.append("http://gone.test/")
        if k == 3:
            links.append("http://twice.test/")
        extra = ("Le projet Carata avance.",) if k in (5, 6) else ()
        web.article(home, f"Chaîne {k}", links, seed=100 + k, lang="fr", extra=extra)
        web.article(f"{home}about", f"À propos de la chaîne {k}", [home], seed=200 + k, lang="fr")


def _blog_a(web: _WebBuilder) -> None:
    base = "http://a.blogs.test"
    site = ((f"{base}/", "Start"), (f"{base}/about", "Über uns"))
    digital_box = Markup("Die neue Digital <b>Box</b> kommt im Mai.")
    web.article(
        f"{base}/",
        "Blog A",
        [
            (f"{base}/2024/05/digital-box", "Neu im Mai"),
            (f"{base}/2024/04/post-2", "Zweiter Beitrag"),
            "http://longchain.test/",
            "http://robots.test/",
            "http://b.blogs.test/",
            PORTAL_START,
            (f"{base}/amp/2024/05/digital-box", "Neu im Mai (AMP)"),
        ],
        seed=300,
        lang="de",
        site_links=site,
    )
    for url in (f"{base}/2024/05/digital-box", f"{base}/amp/2024/05/digital-box"):
        web.article(
            url,
            "Digital Box",
            [f"{base}/"],
            seed=301,
            lang="de",
            extra=(digital_box,),
            site_links=site,
            published=datetime.date(2024, 5, 2),
        )
    web.article(
        f"{base}/2024/04/post-2", "Zweiter Beitrag", [], seed=302, lang="de", site_links=site
    )
    web.article(
        f"{base}/about",
        "Über uns",
        [],
        seed=303,
        lang="de",
        site_links=site,
        extra_head='<script>var campaign = "Quorum";</script><!-- Carata -->',
    )


def _blog_b(web: _WebBuilder) -> None:
    """Every kind of link a crawler must handle, all inside the 10-page budget."""
    base = "http://b.blogs.test"
    site = ((f"{base}/", "Accueil"), (f"{base}/a-propos", "À propos"))
    web.article(
        f"{base}/",
        "Blog B",
        [
            ("mailto:redaction@b.blogs.test", "Écrire"),
            ("javascript:void(0)", "Imprimer"),
            ("tel:+33100000000", "Appeler"),
            f"{base}/missing",
            f"{base}/broken",
            f"{base}/old-post",
            f"{base}/rapport.pdf",
            f"{base}/post-1",
            f"{base}/post-1?utm_source=newsletter&utm_medium=email",
            f"{base}/post-1#commentaires",
            f"{base}/liste?a=1&b=2",
            f"{base}/liste?b=2&a=1",
            "http://longchain.test/page/8",
            f"{base}/post-2",
        ],
        seed=400,
        lang="fr",
        site_links=site,
    )
    web.article(f"{base}/a-propos", "À propos", [], seed=401, lang="fr", site_links=site)
    web.article(
        f"{base}/post-1",
        "Réforme électorale",
        [f"{base}/post-1?utm_campaign=relance", f"{base}/liste?b=2&a=1"],
        seed=402,
        lang="fr",
        extra=("La réforme électorale est adoptée.",),
        site_links=site,
        published=datetime.date(2024, 3, 14),
    )
    for path, title, links, seed in (
        ("/liste?a=1&b=2", "Liste", [], 403),
        ("/new-post", "Nouvel article", [f"{base}/archives"], 404),
        ("/post-2", "Deuxième article", [f"{base}/archives/2023"], 405),
        ("/archives", "Archives", [f"{base}/archives/2022"], 406),
        ("/archives/2022", "Archives 2022", [], 407),
        ("/archives/2023", "Archives 2023", [], 408),
    ):
        web.article(f"{base}{path}", title, links, seed=seed, lang="fr", site_links=site)
    web.add(f"{base}/missing", Resource("<html><body>Introuvable</body></html>", status=404))
    web.add(f"{base}/broken", Resource("<html><body>Erreur interne</body></html>", status=500))
    web.add(
        f"{base}/old-post",
        Resource(status=301, headers=(("Location", f"{base}/new-post"),)),
    )
    web.add(
        f"{base}/rapport.pdf",
        Resource(b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )


def _wide(web: _WebBuilder) -> None:
    """home -> 5 sections -> 5 articles each, plus a featured article linked from home."""
    base = "http://wide.test"
    sections = [f"{base}/s{i}" for i in range(1, 6)]
    web.article(f"{base}/", "Wide", [*sections, (f"{base}/s3/a2", "Featured")], seed=500, lang="en")
    for i, section in enumerate(sections, start=1):
        articles = [f"{section}/a{j}" for j in range(1, 6)]
        extra = ("Quorums were not reached in several committees.",) if i == 2 else ()
        web.article(
            section, f"Section {i}", [*articles, f"{base}/"], seed=500 + i, lang="en", extra=extra
        )
        for j, article in enumerate(articles, start=1):
            links: list[Link] = [section, f"{base}/"]
            if (i, j) == (1, 3):
                links.append("http://twice.test/")
            extra = ("The Quorum report is out.",) if (i, j) in ((1, 1), (5, 5)) else ()
            web.article(
                article, f"Article {i}.{j}", links, seed=510 + 10 * i + j, lang="en", extra=extra
            )


def _longchain(web: _WebBuilder) -> None:
    """/ -> /page/2 -> ... -> /page/15: a chain longer than the budget."""
    base = "http://longchain.test"
    urls = [f"{base}/", *(f"{base}/page/{i}" for i in range(2, 16))]
    for i, url in enumerate(urls, start=1):
        links = [urls[i]] if i < len(urls) else []
        extra = ("Das Quorum wurde erreicht.",) if i == 14 else ()
        web.article(url, f"Seite {i}", links, seed=600 + i, lang="de", extra=extra)


def _robots(web: _WebBuilder) -> None:
    base = "http://robots.test"
    web.add(
        f"{base}/robots.txt",
        Resource(
            "User-agent: *\nDisallow: /private/\nDisallow: /tmp\n",
            content_type="text/plain; charset=utf-8",
        ),
    )
    private = [f"{base}/private/rapport", f"{base}/private/notes", f"{base}/tmp-export"]
    public = [f"{base}/public/{i}" for i in range(1, 13)]
    web.article(f"{base}/", "Robots", [*private, *public], seed=700, lang="fr")
    for url in private:
        web.article(url, "Privé", [], seed=701, lang="fr")
    for i, url in enumerate(public, start=1):
        links: list[Link] = [f"{base}/"]
        if i == 9:
            links.append("http://forum.test/")
        if i == 11:
            links.append("http://unseen.test/")
        web.article(url, f"Public {i}", links, seed=710 + i, lang="fr")


def _level_two_and_three(web: _WebBuilder) -> None:
    web.article(
        "http://twice.test/",
        "Twice",
        [
            "http://twice.test/about",
            "http://chain1.test/",
            "http://forum.test/t/1",
            "http://portal.test/",
        ],
        seed=800,
        lang="en",
    )
    web.article("http://twice.test/about", "About twice", [], seed=801, lang="en")
    topics = [f"http://forum.test/t/{i}" for i in range(1, 4)]
    web.article(
        "http://forum.test/", "Forum", [*topics, "http://a.blogs.test/"], seed=900, lang="de"
    )
    for i, url in enumerate(topics, start=1):
        web.article(url, f"Thema {i}", ["http://forum.test/"], seed=900 + i, lang="de")
    web.article("http://unseen.test/", "Unseen", [], seed=950, lang="en")


def build_test_web() -> TestWeb:
    """The end-to-end test web (see the module docstring for its map)."""
    seeds = [
        "http://chain1.test/",
        "http://a.blogs.test/",
        "http://b.blogs.test/",
        "http://wide.test/",
    ]
    web = _WebBuilder()
    _portal(web, seeds)
    _chain(web)
    _blog_a(web)
    _blog_b(web)
    _wide(web)
    _longchain(web)
    _robots(web)
    _level_two_and_three(web)
    return TestWeb(
        resources=web.resources,
        start_url=PORTAL_START,
        seeds=seeds,
        decoy_sites=frozenset(
            {
                "partner.test",
                "social.test",
                "ads.test",
                "legal.test",
                "hidden1.test",
                "hidden2.test",
            }
        ),
        visible_terms={
            "Quorum": (
                "http://wide.test/s1/a1",
                "http://wide.test/s5/a5",
                "http://longchain.test/page/14",
            ),
            "Carata": ("http://chain5.test/", "http://chain6.test/"),
            "Digital Box": (
                "http://a.blogs.test/2024/05/digital-box",
                "http://a.blogs.test/amp/2024/05/digital-box",
            ),
            "electorale": ("http://b.blogs.test/post-1",),
            "Quorums": ("http://wide.test/s2",),
        },
        hidden_terms={
            "Quorum": ("http://a.blogs.test/about",),
            "Carata": ("http://a.blogs.test/about",),
        },
        duplicates=(
            (
                "http://a.blogs.test/2024/05/digital-box",
                "http://a.blogs.test/amp/2024/05/digital-box",
            ),
        ),
    )


def build_small_web() -> TestWeb:
    """Portal -> two blogs; one of them links a third site. Five pages in all, for quick runs."""
    start = "http://portal.test/blogs-experts"
    seeds = ["http://one.test/", "http://two.test/"]
    web = _WebBuilder()
    web.html(
        start,
        page(
            "Blogs d'experts",
            filler(1, 1, lang="fr"),
            seeds,
            nav_links=["http://decoy.test/"],
            main_html=f'<nav class="pagination"><a rel="next" href="{start}?page=2">2</a></nav>',
        ),
    )
    web.article(
        "http://one.test/", "One", ["http://one.test/post", "http://three.test/"], seed=1, lang="en"
    )
    web.article(
        "http://one.test/post", "Post", [], seed=2, lang="en", extra=("The Quorum met today.",)
    )
    web.article("http://two.test/", "Zwei", [start], seed=3, lang="de")
    web.article("http://three.test/", "Trois", [], seed=4, lang="fr")
    web.article("http://decoy.test/", "Decoy", [], seed=5, lang="fr")
    return TestWeb(
        resources=web.resources,
        start_url=start,
        seeds=seeds,
        decoy_sites=frozenset({"decoy.test"}),
        visible_terms={"Quorum": ("http://one.test/post",)},
    )


def serve(web: TestWeb) -> Iterator[MockWeb]:
    """Body of a fixture: serve ``web`` for the duration of the ``yield``."""
    with MockWeb(web.resources) as mock_web:
        yield mock_web
