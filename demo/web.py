"""The demo web: a French documentation portal, the expert blogs it lists, and the sites they cite.

It imitates the mission watch was written for. The portal page ``START_URL`` ("Blogs experts")
lists eight blogs in its main content, between a header, a menu, an aside and a footer whose links
are not seeds, and links a second page of blogs that is never crawled. The blogs cite other
sites, which cite others, down to level 6. One site is a long serial (more pages than the
per-site budget), one is a wide tree, one has a robots.txt disallow, one linked site does not
exist, and pages link back to the portal and to lower levels.

The text is French prose from :func:`mockweb.html.filler` around a few hand-written sentences
that plant the seed's :data:`EQUATION`: true mentions inside the scope (:data:`HIT`), true
mentions the scope leaves out (:data:`OUTSIDE`), terms that sit only in markup the matcher must
not read (:data:`TRAP`) and look-alike words (:data:`NEAR_MISS`). :data:`MENTIONS` lists each
one, so the demo can check what the crawl exported against what the web holds.

Everything is built in memory, deterministically, in a few milliseconds.
"""

from __future__ import annotations

import datetime
import zlib
from dataclasses import dataclass, field
from typing import Literal

from mockweb.html import Link, Markup, filler, page
from mockweb.server import Resource

#: The seed equation of the mission.
EQUATION = 'Quorum OR Carata OR Poligma Or Nationbuilder Or "Digital Box" OR "Blue State Digital"'

PORTAL = "http://universdoc.test"
#: The portal page the demo crawl starts from (level 0).
START_URL = f"{PORTAL}/blogs-experts"
#: The portal's second page of blogs: a pagination page, never crawled.
PAGE_2_URL = f"{START_URL}?page=2"

MentionKind = Literal["hit", "outside", "trap", "near_miss"]
#: A term in the visible text of a page the default scope reads: the crawl must export the page.
HIT: MentionKind = "hit"
#: A term in the visible text of a page the scope leaves out: never requested, never exported.
OUTSIDE: MentionKind = "outside"
#: A term only where the matcher must not look (script, style, comment, attribute, URL) or a
#: longer word (``Quorums``): the page must not match.
TRAP: MentionKind = "trap"
#: A word that looks like a term (``Nation Builder``, ``DigitaleBox``): reported, not matched.
NEAR_MISS: MentionKind = "near_miss"


@dataclass(frozen=True)
class Mention:
    """One planted mention: where it is, what it looks like, and why it is there."""

    url: str
    term: str  #: as written on the page
    kind: MentionKind
    why: str


@dataclass(frozen=True)
class _Article:
    """A page of a blog: hand-written paragraphs first, then French filler."""

    path: str
    title: str
    text: tuple[str, ...] = ()  #: plain text or :class:`~mockweb.html.Markup`
    links: tuple[Link, ...] = ()
    extra_head: str = ""
    #: Linked from the home page; an unlisted article is reached another way (a redirect).
    listed: bool = True


@dataclass(frozen=True)
class _Blog:
    """A site: a home page at ``/`` that links its articles, in order."""

    host: str
    name: str
    about: str  #: the home page's opening sentence
    articles: tuple[_Article, ...] = ()
    links: tuple[Link, ...] = ()  #: the home page's links to other sites
    #: A serial: the home page links the first article only, each article the next one.
    serial: bool = False
    home_text: tuple[str, ...] = ()  #: more paragraphs for the home page
    home_head: str = ""  #: markup for the home page's ``<head>``
    extra: dict[str, Resource] = field(default_factory=dict)  #: robots.txt, redirects

    @property
    def url(self) -> str:
        return f"http://{self.host}/"


def _site(host: str) -> str:
    return f"http://{host}/"


def _articles(
    prefix: str, titles: list[str], links: dict[int, tuple[Link, ...]]
) -> tuple[_Article, ...]:
    """Articles ``prefix/1``, ``prefix/2``…; ``links`` maps an article's number to its links."""
    return tuple(
        _Article(f"{prefix}/{number}", title, links=links.get(number, ()))
        for number, title in enumerate(titles, start=1)
    )


# Planted mentions, in the order a reader meets them.
_NATIONBUILDER = "http://civic-tech.test/articles/nationbuilder-municipales"
_BLUE_STATE = "http://campagnes-numeriques.test/analyses/agences-americaines"
_QUORUM = "http://assemblees-locales.test/guides/le-quorum"
_POLIGMA = "http://logiciels-crm.test/comparatif-2024"
_DIGITAL_BOX = "http://boite-a-outils.test/outils/la-boite-numerique"
_CARATA = "http://fichiers-adherents.test/migration"
_BEYOND_BUDGET = "http://bibliotheques-demain.test/episode/11"
_BEHIND_ROBOTS = "http://data-publique.test/prive/rapport-interne"
_TOO_DEEP = "http://confins-du-web.test/"
_PAGE_2_ONLY = "http://veille-strategique.test/"
_ASSEMBLY = "http://doc.blogs.test/notes/assemblee-generale"
_AUDIENCE = "http://campagnes-numeriques.test/analyses/mesure-d-audience"
_URL_TRAP = "http://archivistes.test/fonds/nationbuilder-2019"
_ARCHIVES_HOME = "http://archivistes.test/"
_CAMPAIGN_TOOLS = "http://civic-tech.test/articles/outils-de-campagne"
_FREE_SOFTWARE = "http://sciences-info.test/articles/logiciels-de-gestion"

MENTIONS: tuple[Mention, ...] = (
    Mention(_NATIONBUILDER, "NationBuilder", HIT, "an article about NationBuilder, level 1"),
    Mention(
        "http://civic-tech.test/", "NationBuilder", HIT, "the blog's home page lists the article"
    ),
    Mention(_BLUE_STATE, "Blue State <em>Digital</em>", HIT, "a phrase across an inline tag"),
    Mention(_QUORUM, "quorum", HIT, "lower case, level 2"),
    Mention(
        "http://assemblees-locales.test/", "quorum", HIT, "the site's home page lists the guide"
    ),
    Mention(_POLIGMA, "Poligma", HIT, "level 2"),
    Mention(_DIGITAL_BOX, "Digital\\nBox", HIT, "a phrase across a line break, level 3"),
    Mention(_CARATA, "CARATA", HIT, "upper case, level 4"),
    Mention(
        _BEYOND_BUDGET,
        "Nationbuilder",
        OUTSIDE,
        "episode 11 of a serial: beyond the 10-page budget of bibliotheques-demain.test",
    ),
    Mention(
        _BEHIND_ROBOTS, "Poligma", OUTSIDE, "behind a robots.txt Disallow of data-publique.test"
    ),
    Mention(_TOO_DEEP, "Carata", OUTSIDE, "a level-6 site, deeper than site_depth=5"),
    Mention(_PAGE_2_ONLY, "Quorum", OUTSIDE, "a blog listed only on the portal's page 2"),
    Mention(_ASSEMBLY, "Quorums", TRAP, "a longer word: whole words only"),
    Mention(_ASSEMBLY, "Carata", TRAP, "only in an HTML comment"),
    Mention(_AUDIENCE, "Poligma", TRAP, "only in a <script>"),
    Mention(_AUDIENCE, "Quorum", TRAP, "only in a <script>"),
    Mention(_AUDIENCE, "carata", TRAP, "only in a <style>"),
    Mention(_AUDIENCE, "Digital Box", TRAP, "only in an alt attribute"),
    Mention(_URL_TRAP, "nationbuilder", TRAP, "only in the page's URL"),
    Mention(_ARCHIVES_HOME, "nationbuilder", TRAP, "only in a link's href"),
    Mention(_ARCHIVES_HOME, "Poligma", TRAP, "only in a title attribute"),
    Mention(_ARCHIVES_HOME, "Quorum", TRAP, "only in a meta keywords tag"),
    Mention(_CAMPAIGN_TOOLS, "Nation Builder", NEAR_MISS, "split in two words"),
    Mention(_FREE_SOFTWARE, "DigitaleBox", NEAR_MISS, "joined and misspelt"),
    Mention(_FREE_SOFTWARE, "Caratta", NEAR_MISS, "one letter too many"),
)

#: Sites the default scope never reaches, and why: the demo checks the server saw no request.
UNREACHED_SITES: dict[str, str] = {
    "veille-strategique.test": "listed only on the portal's page 2",
    "archives-oubliees.test": "listed only on the portal's page 2",
    "actualites-doc.test": "linked only from the portal's aside",
    "partenaire-formation.test": "linked only from the portal's footer",
    "confins-du-web.test": "level 6, deeper than site_depth=5",
}
#: Linked on purpose but absent from the web: the proxy answers 502, as for a dead domain.
MISSING_SITES: frozenset[str] = frozenset({"site-disparu.test"})

#: The blogs of the portal's first page, in the order it lists them: the level-1 seeds.
SEEDS: tuple[tuple[str, str], ...] = (
    ("http://veille.blogs.test/", "Veille & Curiosités"),
    ("http://doc.blogs.test/", "Carnet d'une documentaliste"),
    ("http://civic-tech.test/", "Civic Tech Hebdo"),
    ("http://campagnes-numeriques.test/", "Campagnes numériques"),
    ("http://bibliotheques-demain.test/", "Bibliothèques de demain"),
    ("http://data-publique.test/", "Données publiques en pratique"),
    ("http://lecture-publique.test/", "Lecture publique"),
    ("http://sciences-info.test/", "Sciences de l'information"),
)
_PAGE_2_BLOGS: tuple[tuple[str, str], ...] = (
    (_PAGE_2_ONLY, "Veille stratégique"),
    ("http://archives-oubliees.test/", "Archives oubliées"),
)

#: Extra markup of the archivists' home page: traps in attributes and in a URL.
_ARCHIVES_TRAPS = Markup(
    '<abbr title="Poligma">PLG</abbr>, le logiciel de la fédération, ne sert qu\'à la saisie;'
    ' le <a href="/fonds/nationbuilder-2019">fonds numérique de 2019</a> est décrit à part.'
)

_BACK_TO_PORTAL: tuple[Link, ...] = ((START_URL, "Annuaire des blogs experts — UniversDoc"),)

_BLOGS: tuple[_Blog, ...] = (
    # Level 1: the blogs of the portal's first page.
    _Blog(
        "veille.blogs.test",
        "Veille & Curiosités",
        "Un carnet de veille tenu par deux documentalistes, hébergé sur la plateforme blogs.test.",
        (
            _Article(
                "/billets/outils-de-veille",
                "Nos outils de veille cette année",
                ("Un tour d'horizon des annuaires d'outils que nous consultons chaque semaine.",),
                links=((_site("outils-militants.test"), "Outils militants, un annuaire"),),
            ),
            _Article(
                "/billets/newsletters",
                "Trier ses lettres d'information",
                ("Les lettres des collectivités racontent mieux la vie locale que leurs sites.",),
                links=((_site("assemblees-locales.test"), "Assemblées locales"),),
            ),
            _Article("/billets/flux-rss", "Revenir aux flux RSS"),
            _Article("/archives/2023", "Archives 2023", listed=False),
        ),
        links=(("/2023/ancien-billet", "Archives 2023"),),
        extra={
            "http://veille.blogs.test/2023/ancien-billet": Resource(
                status=301, headers=(("Location", "http://veille.blogs.test/archives/2023"),)
            ),
        },
    ),
    _Blog(
        "doc.blogs.test",
        "Carnet d'une documentaliste",
        "Notes de travail d'une documentaliste, sur la même plateforme que Veille & Curiosités.",
        (
            _Article(
                "/notes/assemblee-generale",
                "Compte rendu de l'assemblée générale",
                (
                    "Les Quorums fixés par les nouveaux statuts ont été adoptés à l'unanimité des"
                    " présents : la moitié des adhérents pour les décisions courantes.",
                    Markup(
                        "Le compte rendu complet sera publié après relecture."
                        "<!-- Carata : vérifier le nom du logiciel avant publication -->"
                    ),
                ),
            ),
            _Article(
                "/notes/classement",
                "Classer les archives numériques",
                ("Trois blogs d'archivistes m'ont aidée à revoir mon plan de classement.",),
                links=(
                    (_site("archivistes.test"), "Le blog des archivistes"),
                    (_site("veille.blogs.test"), "Veille & Curiosités"),
                ),
            ),
            _Article("/notes/thesaurus", "Tenir un thésaurus à jour"),
        ),
    ),
    _Blog(
        "civic-tech.test",
        "Civic Tech Hebdo",
        "Chaque semaine, les outils numériques de la vie démocratique.",
        (
            _Article(
                "/articles/nationbuilder-municipales",
                "NationBuilder aux municipales",
                (
                    "De plus en plus d'équipes de campagne municipales gèrent leurs bénévoles et"
                    " leurs dons avec NationBuilder, une plateforme américaine de mobilisation.",
                    "Les candidats interrogés citent la simplicité de l'outil, mais s'inquiètent"
                    " de l'hébergement des données de leurs sympathisants.",
                ),
            ),
            _Article(
                "/articles/outils-de-campagne",
                "Les outils de campagne en France",
                (
                    "Certains élus parlent encore de « Nation Builder » en deux mots, comme d'une"
                    " méthode plus que d'un logiciel.",
                ),
                links=(
                    (_site("logiciels-crm.test"), "Logiciels CRM associatifs"),
                    (_site("donnees-electorales.test"), "Données électorales"),
                ),
            ),
            _Article("/articles/porte-a-porte", "Le porte-à-porte numérique"),
        ),
    ),
    _Blog(
        "campagnes-numeriques.test",
        "Campagnes numériques",
        "Analyses des stratégies numériques des campagnes électorales.",
        (
            _Article(
                "/analyses/agences-americaines",
                "Les agences américaines du numérique politique",
                (
                    Markup(
                        "Fondée en 2004, Blue State <em>Digital</em> a accompagné plusieurs"
                        " campagnes présidentielles avant de s'installer en Europe."
                    ),
                ),
            ),
            _Article(
                "/analyses/mesure-d-audience",
                "Mesurer l'audience sans traceurs",
                (
                    Markup(
                        '<img src="/img/boite.png" alt="Digital Box"> Une mesure d\'audience'
                        " respectueuse se passe de traceurs tiers."
                    ),
                ),
                links=((_site("communication-politique.test"), "Communication politique"),),
                extra_head=(
                    '<script>var partenaires = ["Poligma", "Quorum"];</script>'
                    "<style>.carata { color: #c00; }</style>"
                ),
            ),
        ),
    ),
    _Blog(
        "bibliotheques-demain.test",
        "Bibliothèques de demain",
        "Un feuilleton en treize épisodes sur la bibliothèque municipale d'une ville moyenne.",
        tuple(
            _Article(
                f"/episode/{number}",
                f"Bibliothèques de demain, épisode {number}",
                (
                    (
                        "La bibliothécaire découvre que la mairie suit ses usagers avec"
                        " Nationbuilder, et demande qui a décidé de ce choix."
                    )
                    if f"http://bibliotheques-demain.test/episode/{number}" == _BEYOND_BUDGET
                    else f"Épisode {number} du feuilleton.",
                ),
                links=((_site("mediatheques.test"), "Le réseau des médiathèques"),)
                if number == 3
                else (),
            )
            for number in range(1, 14)
        ),
        serial=True,
    ),
    _Blog(
        "data-publique.test",
        "Données publiques en pratique",
        "Ouvrir, publier et réutiliser les données des collectivités.",
        (
            _Article("/jeux-de-donnees", "Où trouver les jeux de données"),
            _Article(
                "/prive/rapport-interne",
                "Rapport interne",
                ("Le rapport compare Poligma aux autres outils de relation citoyenne.",),
            ),
            _Article(
                "/licences",
                "Choisir une licence ouverte",
                links=((_site("open-data-territoires.test"), "Open data et territoires"),),
            ),
        ),
        extra={
            "http://data-publique.test/robots.txt": Resource(
                "User-agent: *\nDisallow: /prive/\n", content_type="text/plain; charset=utf-8"
            ),
        },
    ),
    _Blog(
        "lecture-publique.test",
        "Lecture publique",
        "L'actualité des bibliothèques publiques, par un collectif de bibliothécaires.",
        (
            _Article(
                "/billets/ouverture-dominicale",
                "L'ouverture le dimanche, un an après",
                links=(
                    (_site("mediatheques.test"), "Le réseau des médiathèques"),
                    (_site("site-disparu.test"), "Un blog disparu depuis"),
                    ("/billets/page-supprimee", "Un billet supprimé depuis"),
                ),
            ),
            _Article("/billets/prix-des-lecteurs", "Le prix des lecteurs"),
        ),
    ),
    _Blog(
        "sciences-info.test",
        "Sciences de l'information",
        "Un laboratoire de sciences de l'information partage ses lectures.",
        (
            _Article(
                "/articles/logiciels-de-gestion",
                "Panorama des logiciels de gestion",
                (
                    "On y croise DigitaleBox, une suite de stockage en ligne, et Caratta, un outil"
                    " de catalogage venu d'Italie.",
                ),
                links=((_site("recherche-documentaire.test"), "Recherche documentaire"),),
            ),
            _Article("/articles/lectures", "Nos lectures du mois"),
        ),
    ),
    # Level 2.
    _Blog(
        "outils-militants.test",
        "Outils militants",
        "Un annuaire des outils des associations et des collectifs.",
        (
            _Article(
                "/fiches/mobiliser",
                "Mobiliser des bénévoles",
                links=((_site("boite-a-outils.test"), "La boîte à outils du militant"),),
            ),
        ),
        links=((_site("veille.blogs.test"), "Veille & Curiosités"),),
    ),
    _Blog(
        "assemblees-locales.test",
        "Assemblées locales",
        "Guides pratiques pour les élus et les associations.",
        (
            _Article(
                "/guides/le-quorum",
                "Le quorum expliqué",
                (
                    "Le quorum est le nombre minimal de membres présents pour qu'une assemblée"
                    " puisse délibérer valablement.",
                ),
                links=((_site("conseils-municipaux.test"), "Conseils municipaux"),),
            ),
            _Article("/guides/deliberations", "Rédiger une délibération"),
        ),
    ),
    _Blog(
        "archivistes.test",
        "Le blog des archivistes",
        "Des archivistes racontent leurs fonds et leurs méthodes.",
        (
            _Article("/fonds/nationbuilder-2019", "Un fonds numérique de 2019"),
            _Article("/fonds/registres", "Les registres paroissiaux"),
        ),
        links=((_site("doc.blogs.test"), "Carnet d'une documentaliste"),),
        home_text=(_ARCHIVES_TRAPS,),
        home_head='<meta name="keywords" content="archives, Quorum, registres">',
    ),
    _Blog(
        "logiciels-crm.test",
        "Logiciels CRM associatifs",
        "Comparatifs indépendants des logiciels de gestion de contacts.",
        (
            _Article(
                "/comparatif-2024",
                "Comparatif 2024",
                (
                    "Poligma, la nouvelle application de gestion de contacts, arrive en tête pour"
                    " la facilité de prise en main.",
                ),
                links=(
                    (_site("crm-associatif.test"), "CRM associatif"),
                    (_site("civic-tech.test"), "Civic Tech Hebdo"),
                ),
            ),
        ),
    ),
    _Blog(
        "donnees-electorales.test",
        "Données électorales",
        "Résultats, cartes et listes électorales expliqués.",
        (
            _Article(
                "/cartes",
                "Cartographier un scrutin",
                links=((_site("cartographie-libre.test"), "Cartographie libre"),),
            ),
        ),
    ),
    _Blog(
        "communication-politique.test",
        "Communication politique",
        "Observatoire de la communication des élus.",
        (
            _Article(
                "/observatoire/reseaux",
                "Les élus et les réseaux",
                links=((_site("strategies-web.test"), "Stratégies web"),),
            ),
        ),
    ),
    _Blog(
        "mediatheques.test",
        "Le réseau des médiathèques",
        "Le programme des quinze médiathèques du réseau, semaine après semaine.",
        _articles(
            "/agenda",
            [f"Agenda, semaine {week}" for week in range(1, 16)],
            {2: ((_site("patrimoine-ecrit.test"), "Patrimoine écrit"),)},
        ),
    ),
    _Blog(
        "open-data-territoires.test",
        "Open data et territoires",
        "Les collectivités qui ouvrent leurs données, et ce qu'on en fait.",
        (
            _Article(
                "/retours",
                "Retours d'expérience",
                links=((_site("cartographie-libre.test"), "Cartographie libre"),),
            ),
        ),
    ),
    _Blog(
        "recherche-documentaire.test",
        "Recherche documentaire",
        "Méthodes et outils de la recherche documentaire.",
        (
            _Article(
                "/methodes/equations",
                "Écrire une équation de recherche",
                links=((_site("thesaurus.test"), "Le thésaurus en ligne"),),
            ),
        ),
    ),
    # Level 3.
    _Blog(
        "boite-a-outils.test",
        "La boîte à outils du militant",
        "Des fiches pratiques pour les associations.",
        (
            _Article(
                "/outils/la-boite-numerique",
                "Une boîte numérique pour l'association",
                (
                    "L'association a choisi la Digital\nBox proposée par sa fédération pour"
                    " partager ses documents.",
                ),
            ),
        ),
    ),
    _Blog(
        "conseils-municipaux.test",
        "Conseils municipaux",
        "Suivre les conseils municipaux de sa commune.",
        (
            _Article(
                "/suivre",
                "Suivre un conseil en ligne",
                links=((_site("democratie-locale.test"), "Démocratie locale"),),
            ),
        ),
    ),
    _Blog(
        "crm-associatif.test",
        "CRM associatif",
        "Retours d'expérience sur la gestion des adhérents.",
        (
            _Article(
                "/temoignages",
                "Témoignages",
                links=((_site("fichiers-adherents.test"), "Fichiers d'adhérents"),),
            ),
        ),
        links=((_site("logiciels-crm.test"), "Logiciels CRM associatifs"),),
    ),
    _Blog(
        "strategies-web.test",
        "Stratégies web",
        "Stratégies numériques des organisations.",
        (
            _Article(
                "/dossiers/audience",
                "Construire une audience",
                links=((_site("reseaux-sociaux.test"), "Réseaux sociaux"),),
            ),
        ),
    ),
    _Blog(
        "patrimoine-ecrit.test",
        "Patrimoine écrit",
        "Les collections patrimoniales des bibliothèques.",
        (
            _Article(
                "/collections",
                "Nos collections",
                links=((_site("manuscrits.test"), "Manuscrits numérisés"),),
            ),
        ),
    ),
    _Blog(
        "cartographie-libre.test",
        "Cartographie libre",
        "Cartes libres et données géographiques ouvertes.",
        (_Article("/tutoriels/premiere-carte", "Une première carte"),),
        links=((_site("open-data-territoires.test"), "Open data et territoires"),),
    ),
    _Blog(
        "thesaurus.test",
        "Le thésaurus en ligne",
        "Un thésaurus collaboratif pour l'indexation.",
        (_Article("/termes", "Les termes du mois"),),
    ),
    # Level 4.
    _Blog(
        "fichiers-adherents.test",
        "Fichiers d'adhérents",
        "Tenir un fichier d'adhérents propre et légal.",
        (
            _Article(
                "/migration",
                "Notre migration",
                (
                    "Nous avons migré le fichier des adhérents vers CARATA au printemps, sans"
                    " perdre une seule fiche.",
                ),
            ),
        ),
    ),
    _Blog(
        "reseaux-sociaux.test",
        "Réseaux sociaux",
        "Les réseaux sociaux vus par des community managers.",
        (
            _Article(
                "/tendances",
                "Tendances",
                links=((_site("influence-numerique.test"), "Influence numérique"),),
            ),
        ),
    ),
    _Blog(
        "manuscrits.test",
        "Manuscrits numérisés",
        "Un manuscrit numérisé commenté chaque mois.",
        (_Article("/ce-mois-ci", "Le manuscrit du mois"),),
    ),
    _Blog(
        "democratie-locale.test",
        "Démocratie locale",
        "Budgets participatifs et consultations citoyennes.",
        (_Article("/budgets-participatifs", "Les budgets participatifs"),),
    ),
    # Level 5.
    _Blog(
        "influence-numerique.test",
        "Influence numérique",
        "Qui influence qui sur le web politique.",
        (
            _Article(
                "/cartographie",
                "Cartographie de l'influence",
                links=((_TOO_DEEP, "Aux confins du web"),),
            ),
        ),
    ),
    # Level 6: beyond the default site_depth.
    _Blog(
        "confins-du-web.test",
        "Aux confins du web",
        "Ce blog cite Carata, mais il est six sites loin du portail.",
    ),
    # Outside the crawl: the portal's page 2, its aside and its footer.
    _Blog(
        "veille-strategique.test",
        "Veille stratégique",
        "Le Quorum des veilleurs se réunit chaque mois ; ce blog n'est listé qu'en page 2.",
    ),
    _Blog("archives-oubliees.test", "Archives oubliées", "Des archives que personne ne lit."),
    _Blog("actualites-doc.test", "Actualités de la documentation", "Les brèves du métier."),
    _Blog("partenaire-formation.test", "Partenaire formation", "Formations de documentalistes."),
)


def _seed(url: str) -> int:
    """A stable seed for the filler of ``url`` (``hash`` changes between runs)."""
    return zlib.crc32(url.encode("utf-8"))


def _published(url: str) -> datetime.date:
    return datetime.date(2024, 1, 1) + datetime.timedelta(days=_seed(url) % 300)


def _blog_resources(blog: _Blog) -> dict[str, Resource]:
    """The home page and the articles of ``blog``, plus its extra resources."""
    resources: dict[str, Resource] = {}
    listed = [a for a in blog.articles if a.listed]
    home_links: list[Link] = [(a.path, a.title) for a in listed[: 1 if blog.serial else None]]
    resources[blog.url] = Resource(
        page(
            blog.name,
            [blog.about, *blog.home_text, *filler(_seed(blog.url), 1, lang="fr")],
            [*home_links, *blog.links],
            footer_links=_BACK_TO_PORTAL,
            extra_head=blog.home_head,
        )
    )
    for number, article in enumerate(blog.articles):
        url = f"http://{blog.host}{article.path}"
        following = blog.articles[number + 1 : number + 2] if blog.serial else ()
        next_links: tuple[Link, ...] = tuple((a.path, "Épisode suivant") for a in following)
        resources[url] = Resource(
            page(
                article.title,
                [*article.text, *filler(_seed(url), 2, lang="fr")],
                [*article.links, *next_links],
                footer_links=_BACK_TO_PORTAL,
                extra_head=article.extra_head,
                published=_published(url),
            )
        )
    resources.update(blog.extra)
    return resources


def _portal_resources() -> dict[str, Resource]:
    """The portal's two pages of blogs and its robots.txt; its other pages are never read."""
    boilerplate = {
        "header_links": ((f"{PORTAL}/", "UniversDoc"), (f"{PORTAL}/recherche", "Rechercher")),
        "nav_links": (
            ("/bases-de-donnees", "Bases de données"),
            ("/revues", "Revues en ligne"),
            ("/blogs-experts", "Blogs experts"),
            ("/formations", "Formations"),
        ),
        "aside_links": (("http://actualites-doc.test/", "Actualités de la documentation"),),
        "footer_links": (
            ("/mentions-legales", "Mentions légales"),
            ("http://partenaire-formation.test/", "Notre partenaire formation"),
        ),
    }
    intro = (
        "Notre sélection de blogs tenus par des professionnels de l'information : veille,"
        " documentation, données publiques, bibliothèques et communication numérique. L'équipe"
        " éditoriale d'UniversDoc revoit la sélection chaque trimestre."
    )
    first = page(
        "Blogs experts",
        [intro],
        SEEDS,
        main_html='<nav class="pagination"><a href="?page=2" rel="next">Page suivante</a></nav>',
        **boilerplate,
    )
    second = page(
        "Blogs experts (page 2)",
        [intro],
        _PAGE_2_BLOGS,
        main_html='<nav class="pagination"><a href="/blogs-experts" rel="prev">Retour</a></nav>',
        **boilerplate,
    )
    return {
        START_URL: Resource(first),
        PAGE_2_URL: Resource(second),
        f"{PORTAL}/robots.txt": Resource(
            "User-agent: *\nDisallow: /admin/\n", content_type="text/plain; charset=utf-8"
        ),
    }


def build_demo_web() -> dict[str, Resource]:
    """Every resource of the demo web, by absolute URL (see the module docstring for its shape)."""
    resources = _portal_resources()
    for blog in _BLOGS:
        resources.update(_blog_resources(blog))
    return resources
