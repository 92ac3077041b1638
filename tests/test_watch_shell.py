"""Tests of watch.shell: which plain HTML pages look script-built, and why (issue 8, render=auto).

Every page is read as the crawl reads it: parsel parses the tree, watch.text extracts the text.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.html import fromstring
from parsel import Selector
from w3lib.encoding import html_to_unicode

from watch.shell import SIGNALS, ShellConfig, shell_verdict
from watch.text import visible_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "realpages"

# Fillers: real-looking text of a known size, and the scripts pages load.
PROSE = (
    "Le conseil municipal s’est réuni jeudi soir pour examiner le budget de la commune, "
    "et le quorum a été atteint dès l’ouverture de la séance publique. "
)  # 150 characters
HEADER = f"<header><nav><a href='/'>Accueil</a> <a href='/blog'>Blog</a></nav><p>{PROSE * 3}</p></header>"
BUNDLE = '<script src="/static/js/main.4f3a.js"></script>'
ANALYTICS = "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>"


def verdict_of(html: str, config: ShellConfig = ShellConfig()) -> tuple[str, ...]:
    """The signals that fire on ``html``, read as the crawl reads a page."""
    tree = Selector(text=html).root
    return tuple(signal.name for signal in shell_verdict(tree, visible_text(html).text, config).signals)


def page(body: str, head: str = "", html_attributes: str = "") -> str:
    return f"<!DOCTYPE html><html{html_attributes}><head><title>T</title>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("html", "signals"),
    [
        # -- shells ---------------------------------------------------------------------------
        # Create React App's index.html, as served before the bundle runs.
        pytest.param(
            page('<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>'
                 + BUNDLE),
            ("little_text", "empty_app_root", "noscript_plea"),
            id="create-react-app",
        ),
        # Vue / Vite: a mount point with a loading line; a module script.
        pytest.param(
            page('<div id="app"><p class="spinner">Chargement…</p></div>'
                 '<script type="module" src="/assets/index.js"></script>'),
            ("little_text", "empty_app_root"),
            id="vue-loading",
        ),
        # Next.js static export: the data is JSON (not code), the code is in files.
        pytest.param(
            page('<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">'
                 + '{"props": {"title": "Quorum"}}' * 100 + "</script>" + BUNDLE),
            ("little_text", "empty_app_root"),
            id="nextjs",
        ),
        pytest.param(page('<div id="___gatsby"><div id="gatsby-focus-wrapper"></div></div>' + BUNDLE),
                     ("little_text", "empty_app_root"), id="gatsby"),
        pytest.param(page("<app-root></app-root>" + BUNDLE), ("little_text", "empty_app_root"),
                     id="angular-app-root"),
        # Everything inline: a sizeable inline bundle is code to run.
        pytest.param(page("<div id=root></div><script>" + "var a=1;" * 200 + "</script>"),
                     ("little_text", "empty_app_root"), id="inline-bundle"),
        # A static header and footer around an empty mount point: too much text for little_text.
        pytest.param(page(HEADER + '<main id="app"></main><footer>Mentions légales</footer>' + BUNDLE),
                     ("empty_app_root",), id="static-header-empty-app"),
        # AngularJS: an empty routed view, found only because the page is an AngularJS app.
        pytest.param(page(HEADER + "<div ng-view></div>" + '<script src="/js/angular.min.js"></script>',
                          html_attributes=' ng-app="site"'),
                     ("empty_app_root",), id="angularjs-ng-view"),
        pytest.param(page(HEADER + '<div data-ui-view=""></div>' + BUNDLE, html_attributes=" data-ng-app"),
                     ("empty_app_root",), id="angularjs-ui-view"),
        # A plea for JavaScript on a page with little text of its own, in three languages.
        pytest.param(page(HEADER + "<noscript>Veuillez activer JavaScript pour afficher ce site.</noscript>"
                          + BUNDLE), ("noscript_plea",), id="plea-fr"),
        pytest.param(page(HEADER + "<noscript><p>Bitte aktivieren Sie <b>JavaScript</b>.</p></noscript>"
                          + BUNDLE), ("noscript_plea",), id="plea-de"),
        pytest.param(page(HEADER + "<noscript>JavaScript is required.</noscript>" + BUNDLE),
                     ("noscript_plea",), id="plea-en"),
        # Unrendered templates, like the corpus page lanouvellerepublique.fr.martin.
        pytest.param(page("<h1>{{ctrl.content.title}}</h1><p>{{ctrl.content.summary}}</p>"
                          "<p>{{ctrl.content.author.fullName}} - {{ctrl.content.date | date}}</p>" + BUNDLE),
                     ("little_text", "template_text"), id="angular-templates"),
        # …and templates on a long page: the share decides, not the length.
        pytest.param(page(f"<p>{PROSE * 8}</p>"
                          + "<div>{{article.paragraphs[0].text | translate}} {{article.paragraphs[1].text}}</div>"
                          * 10 + BUNDLE),
                     ("template_text",), id="long-page-of-templates"),
        # Polymer: the root holds only its two templates, less text than a "Loading…" line.
        pytest.param(page("<my-app><h1>[[page.title]]</h1><p>[[page.body]]</p></my-app>" + BUNDLE),
                     ("little_text", "empty_app_root", "template_text"), id="polymer"),
        pytest.param(page("<p>${post.title}</p><p>${post.body}</p>" + BUNDLE),
                     ("little_text", "template_text"), id="lit"),
        # -- not shells -----------------------------------------------------------------------
        # A short page without scripts: rendering would show the same few words.
        pytest.param(page("<p>Page en travaux.</p>"), (), id="short-without-scripts"),
        pytest.param(page(""), (), id="empty-without-scripts"),
        pytest.param(page("<frameset><frame src='a.html'></frameset>"), (), id="frameset"),
        # Short, with data blocks but no code, or with only an analytics snippet.
        pytest.param(page("<p>Contact : 01 23 45 67 89</p>", head='<script type="application/ld+json">'
                          + '{"@type": "Organization"}' * 80 + "</script>"), (), id="short-json-ld-only"),
        pytest.param(page("<p>Contact : 01 23 45 67 89</p>" + ANALYTICS), (), id="short-analytics-snippet"),
        # Templates with no code to fill them: nothing a browser would change.
        pytest.param(page("<p>{{ctrl.content.title}}</p>"), (), id="templates-without-scripts"),
        # A long server-rendered article inside a React root, hydrated by the bundle.
        pytest.param(page(f'<div id="root"><article><h1>Titre</h1><p>{PROSE * 10}</p></article></div>' + BUNDLE),
                     (), id="server-rendered-react"),
        # A server-rendered Vue page of 600 characters: short, but its mount point holds the text.
        pytest.param(page(f'<div id="app"><p>{PROSE * 4}</p></div>' + BUNDLE), (), id="server-rendered-vue"),
        # A long article with an empty widget mount point (a cookie banner) and a Disqus plea.
        pytest.param(page(f"<article><p>{PROSE * 10}</p></article><div id='root'></div>"
                          "<noscript>Please enable JavaScript to view the comments powered by Disqus.</noscript>"
                          + BUNDLE), (), id="article-with-widgets"),
        # React's server-render marker, empty: server rendering wrote it, so it marks no shell.
        pytest.param(page(HEADER + "<div data-reactroot></div>" + BUNDLE), (), id="empty-data-reactroot"),
        # ng-view attributes are looked for only on AngularJS pages.
        pytest.param(page(HEADER + "<div ng-view></div>" + BUNDLE), (), id="ng-view-without-angularjs"),
        # A blog post about Angular, with a few template snippets as examples: a small share.
        pytest.param(page(f"<p>{PROSE * 6}</p><pre>Hello {{{{user.name}}}}, you have {{{{count}}}} messages</pre>"
                          + BUNDLE), (), id="blog-post-quoting-templates"),
        # A noscript that does not mention JavaScript (a tracking pixel).
        pytest.param(page(HEADER + '<noscript><img src="/pixel.gif"></noscript>' + BUNDLE), (),
                     id="noscript-pixel"),
    ],
)
def test_verdicts(html: str, signals: tuple[str, ...]) -> None:
    assert verdict_of(html) == signals


def test_the_verdict_explains_itself() -> None:
    html = page('<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>' + BUNDLE)
    verdict = shell_verdict(Selector(text=html).root, visible_text(html).text)
    assert verdict.is_shell
    assert verdict.because == (
        "no visible text, with 1 script file; empty <div id=root>; "
        "<noscript> says 'You need to enable JavaScript to run this app.'"
    )


def test_a_tree_from_lxml_html_works_too() -> None:
    html = page('<div id="root"></div>' + BUNDLE)
    assert shell_verdict(fromstring(html), "").is_shell


@pytest.mark.parametrize(
    ("config", "short_signals", "long_signals"),
    [
        # The defaults: 199 characters is little text, 200 is not.
        (ShellConfig(), ("little_text",), ()),
        (ShellConfig(text_chars=199), (), ()),
        (ShellConfig(text_chars=201), ("little_text",), ("little_text",)),
    ],
)
def test_the_little_text_threshold_is_a_setting(
    config: ShellConfig, short_signals: tuple[str, ...], long_signals: tuple[str, ...]
) -> None:
    assert verdict_of(page(f"<p>{'x' * 199}</p>" + BUNDLE), config) == short_signals
    assert verdict_of(page(f"<p>{'x' * 200}</p>" + BUNDLE), config) == long_signals


def test_the_other_thresholds_are_settings() -> None:
    plea = page(f"<p>{'x' * 500}</p><noscript>Enable JavaScript</noscript>" + BUNDLE)
    assert verdict_of(plea) == ("noscript_plea",)
    assert verdict_of(plea, ShellConfig(hinted_text_chars=500)) == ()
    loading = page('<div id="app">Chargement en cours…</div>' + BUNDLE)  # 20 characters
    assert verdict_of(loading) == ("little_text", "empty_app_root")
    assert verdict_of(loading, ShellConfig(root_text_chars=20)) == ("little_text",)
    inline = page("<div id=root></div><script>" + "x" * 999 + "</script>")
    assert verdict_of(inline) == ()
    assert verdict_of(inline, ShellConfig(inline_script_chars=999)) == ("little_text", "empty_app_root")
    templates = page(f"<p>{'x' * 700}</p><p>{{{{a.very.long.expression.of.three.hundred.chars{'x' * 254}}}}}</p>" + BUNDLE)
    assert verdict_of(templates) == ("template_text",)  # 300 of 1001 characters: 30%
    assert verdict_of(templates, ShellConfig(template_share=0.31)) == ()


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"text_chars": -1}, "ShellConfig.text_chars must not be negative, got -1"),
        ({"text_chars": 2000}, r"text_chars \(2000\) must not exceed hinted_text_chars \(1000\)"),
        ({"template_share": 0}, r"template_share must be in \(0, 1\], got 0"),
        ({"template_share": 1.5}, r"template_share must be in \(0, 1\], got 1.5"),
    ],
)
def test_bad_configs_are_refused(settings_: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ShellConfig(**settings_)  # type: ignore[arg-type]


# Appended text: words and punctuation, no template opener.
_PLAIN_TEXT = st.text(alphabet=st.sampled_from("abcdéfghij klmnopq rstuvwxyz.,;!?-'’"), min_size=1, max_size=2000)


@settings(max_examples=100, deadline=None)
@given(
    body=st.sampled_from(
        [
            '<div id="root"></div>' + BUNDLE,
            HEADER + '<main id="app"></main>' + BUNDLE,
            HEADER + "<noscript>Enable JavaScript</noscript>" + BUNDLE,
            "<p>{{ctrl.content.title}} {{ctrl.content.body}}</p>" + BUNDLE,
            "<p>Page en travaux.</p>",
        ]
    ),
    extra=_PLAIN_TEXT,
)
def test_more_text_never_makes_a_shell(body: str, extra: str) -> None:
    """Law: a page given more plain text keeps or loses signals, never gains one."""
    before = set(verdict_of(page(body)))
    after = set(verdict_of(page(body + f"<p>{extra}</p>")))
    assert after <= before


# -- the corpus: exactly the pages expected, each for its reasons ------------------------------

#: The corpus pages that look script-built, and why.
EXPECTED_SHELLS = {
    # An AngularJS page (ng-app on <html>, angular.min.js) saved before its scripts ran: its
    # visible text is mostly {{nrco.contentDetailController.content…}} expressions (80 %), and its
    # routed <div ng-view> is empty.
    "lanouvellerepublique.fr.martin.html.gz": ("empty_app_root", "template_text"),
}
# Not flagged, and worth a word: each has a signal's ingredient but text of its own.
# - caktusgroup.com.django, ebrosia.de.zinfandel, novalanalove.com.ear-candy,
#   toralin.de.schmierfett: a <noscript> asking for JavaScript (Disqus comments, shop widgets)
#   on pages of 3,000 to 7,000 characters.
# - franceculture.fr.idees, vice.com.amazon: server-rendered React with an empty data-reactroot
#   element, on pages of 4,000 and 10,000 characters.
# - nationalgeographic.co.uk.goats (Gatsby's ___gatsby), vice.com.amazon (#root): app roots
#   that hold the server-rendered article.
# - die-partei.net.luebeck, rs-ingenieure.de.tragwerksplanung: the shortest pages (700-800
#   characters), with no app root and no plea.


def _corpus_verdicts() -> dict[str, tuple[str, ...]]:
    verdicts = {}
    for path in sorted(CORPUS.glob("*.html.gz")):
        html = html_to_unicode(None, gzip.decompress(path.read_bytes()))[1]
        verdicts[path.name] = verdict_of(html)
    return verdicts


def test_the_corpus_has_exactly_the_expected_shells() -> None:
    verdicts = _corpus_verdicts()
    assert len(verdicts) == 102
    assert {name: signals for name, signals in verdicts.items() if signals} == EXPECTED_SHELLS


def test_signal_names_are_the_documented_ones() -> None:
    assert SIGNALS == ("little_text", "empty_app_root", "noscript_plea", "template_text")
