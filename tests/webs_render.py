"""The webs of the rendering and PDF tests: script-built sites, scripts that misbehave, PDF files.

Map of :func:`build_render_web` (seeds in this order)::

    spa.test     every page a shell (<div id=root> and a script); the text, and the link to the
                 next page, exist only once app.js has run: / (its text fetched as JSON) -> /a1
                 -> /a2 -> /a3 -> /a4. The shells also link /shell-only, which the script removes.
                 app.js also asks for an image, a font, a loopback address, localhost, a frame on
                 another site and a WebSocket: none of it may leave the browser.
    ng.test      one AngularJS-style page: {{ctrl.content.title}} templates filled by a script.
    quiet.test   / -> /about: short pages with an analytics script that adds nothing (false alarms).
    static.test  / -> /s1, /s2: pages with text of their own and a script: never rendered in auto.
    loop.test    a shell whose script never ends: rendering times out, the plain page is read.

Map of :func:`build_pdf_web`, read with ``pages_per_site=6``: docs.test/ links, in this order,
/rapport.pdf (:data:`PDF_TERM` on its second page, a title and a creation date), /casse.pdf
(broken), /verrou.pdf (encrypted), /fiche (a PDF served as text/html), /note.pdf (an HTML page
served as application/pdf) and /au-dela.pdf (:data:`PDF_TERM` too, but the seventh page: beyond
the budget, never requested).

:data:`SCRIPT_TERM` and :data:`TEMPLATE_TERM` are written by scripts only, as character codes:
they are in no response body in any readable form.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mockweb import Resource
from mockweb.html import filler, page
from mockweb.pdf import make_pdf

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Planted in the text that spa.test's script builds (pages / and /a2).
SCRIPT_TERM = "Poligma"
#: Planted in the text that ng.test's script puts in place of its templates.
TEMPLATE_TERM = "Nationbuilder"
#: The pages of spa.test, in the order the crawl reaches them.
SPA_PAGES = ("/", "/a1", "/a2", "/a3", "/a4")
SEEDS = ("http://spa.test/", "http://ng.test/", "http://quiet.test/", "http://static.test/", "http://loop.test/")
#: Every page a crawl of the web reads, by whether its plain HTML is a shell.
SHELLS = (
    *(f"http://spa.test{path}" for path in SPA_PAGES),
    "http://ng.test/", "http://quiet.test/", "http://quiet.test/about", "http://loop.test/",
)  # fmt: skip
NOT_SHELLS = ("http://static.test/", "http://static.test/s1", "http://static.test/s2")
#: What spa.test's script asks for that must never leave the browser.
FORBIDDEN = (
    "http://spa.test/shell-only", "http://spa.test/photo.png", "http://spa.test/font.woff2",
    "http://127.0.0.1:9/private", "http://localhost/private", "http://elsewhere.test/frame",
)  # fmt: skip

_JS = "application/javascript"


def js_text(text: str) -> str:
    """A JavaScript expression giving ``text``, written as character codes.

    >>> js_text("Ab")
    'String.fromCharCode(65,98)'
    """
    return f"String.fromCharCode({','.join(str(ord(c)) for c in text)})"


def _shell(title: str, scripts: Sequence[str], body: str = "") -> str:
    tags = "".join(f'<script src="{src}"></script>' for src in scripts)
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><div id="root">Chargement…</div>{body}{tags}</body></html>'
    )


def _article(index: int, term: str = "") -> str:
    """About 500 characters of French text for a spa.test page, with ``term`` in it when given."""
    sentences = filler(700 + index, 2, lang="fr")
    if term:
        sentences = [f"{sentences[0]} Le logiciel {term} est cité dans ce billet.", *sentences[1:]]
    return " ".join(sentences)


def _app_js() -> str:
    """spa.test's script: the page's text (for /, fetched as JSON), the link to the next page,
    and requests a crawl must not make."""
    texts = {
        path: js_text(_article(index, SCRIPT_TERM if path in ("/", "/a2") else ""))
        for index, path in enumerate(SPA_PAGES)
        if path != "/"
    }
    nexts = dict(zip(SPA_PAGES, (*SPA_PAGES[1:], "")))
    cases = "\n".join(f"  case {json.dumps(path)}: show({text}); break;" for path, text in texts.items())
    return f"""
var nexts = {json.dumps(nexts)};
function show(text) {{
  var root = document.getElementById("root");
  var next = nexts[location.pathname];
  root.innerHTML = "<article><p></p>" + (next ? '<a href="' + next + '">Suite</a>' : "") +
    '<img src="/photo.png"><iframe src="http://elsewhere.test/frame"></iframe></article>' +
    '<style>@font-face {{ font-family: W; src: url(/font.woff2); }} p {{ font-family: W; }}</style>';
  root.querySelector("p").textContent = text;
  var old = document.getElementById("shell-link");
  if (old) old.remove();
  fetch("http://127.0.0.1:9/private").catch(function () {{}});
  fetch("http://localhost/private").catch(function () {{}});
  try {{ new WebSocket("ws://spa.test/socket"); }} catch (e) {{}}
}}
switch (location.pathname) {{
  case "/": fetch("/api/home.json").then(function (r) {{ return r.json(); }})
                                   .then(function (d) {{ show(d.text); }}); break;
{cases}
}}
"""


def _angular_js() -> str:
    title = js_text("Municipales : le choix des outils")
    body = js_text(f"La campagne utilise {TEMPLATE_TERM} pour ses fichiers. " + _article(50))
    return f"""
document.addEventListener("DOMContentLoaded", function () {{
  var view = document.querySelector("[ng-view]");
  view.innerHTML = view.innerHTML.replace("{{{{ctrl.content.title}}}}", {title})
                                 .replace("{{{{ctrl.content.body}}}}", {body});
}});
"""


def build_render_web() -> dict[str, Resource]:
    """The web of the rendering tests (see the module docstring)."""
    web: dict[str, Resource] = {}
    shell_link = '<a id="shell-link" href="/shell-only">Ancienne version</a>'
    for path in SPA_PAGES:
        web[f"http://spa.test{path}"] = Resource(_shell("Blog", ["/app.js"], shell_link))
    web["http://spa.test/app.js"] = Resource(_app_js(), content_type=_JS)
    home = json.dumps({"text": _article(0, SCRIPT_TERM)}, ensure_ascii=True).replace(SCRIPT_TERM, "".join(
        f"\\u{ord(c):04x}" for c in SCRIPT_TERM))  # fmt: skip
    web["http://spa.test/api/home.json"] = Resource(home, content_type="application/json")
    web["http://ng.test/"] = Resource(
        '<!DOCTYPE html><html lang="fr" ng-app><head><meta charset="utf-8"><title>Actualité</title>'
        '<script src="/angular.min.js"></script></head><body><div ng-view>'
        "<h2>{{ctrl.content.title}}</h2><p>{{ctrl.content.body}}</p></div></body></html>"
    )
    web["http://ng.test/angular.min.js"] = Resource(_angular_js(), content_type=_JS)
    for path, link in (("/", '<a href="/about">À propos</a>'), ("/about", "")):
        web[f"http://quiet.test{path}"] = Resource(
            '<!DOCTYPE html><html lang="fr"><head><title>Atelier</title></head>'
            f'<body><p>Atelier de reliure, sur rendez-vous.</p>{link}<script src="/stats.js"></script></body></html>'
        )
    web["http://quiet.test/stats.js"] = Resource("window.visits = (window.visits || 0) + 1;", content_type=_JS)
    for index, path in enumerate(("/", "/s1", "/s2")):
        links = ["http://static.test/s1", "http://static.test/s2"] if path == "/" else []
        web[f"http://static.test{path}"] = Resource(
            page("Revue", filler(800 + index, 4, lang="fr"), links, extra_head='<script src="/jquery.js"></script>')
        )
    web["http://static.test/jquery.js"] = Resource("window.jQuery = function () {};", content_type=_JS)
    web["http://loop.test/"] = Resource(_shell("Boucle", ["/loop.js"]))
    web["http://loop.test/loop.js"] = Resource("for (;;) {}", content_type=_JS)
    return web


#: Planted in the text of docs.test/rapport.pdf and docs.test/fiche (the PDF served as text/html).
PDF_TERM = "Carata"
PDF_TITLE = "Rapport sur les outils numériques des campagnes"


def build_pdf_web() -> dict[str, Resource]:
    """The web of the PDF tests (see the module docstring)."""
    base = "http://docs.test"
    links = ["/rapport.pdf", "/casse.pdf", "/verrou.pdf", "/fiche", "/note.pdf", "/au-dela.pdf"]
    report = make_pdf(
        ["Introduction\nLes campagnes s'outillent.", f"Le projet {PDF_TERM} avance.\n" + " ".join(filler(900, 2))],
        title=PDF_TITLE,
        created="D:20240305100000+01'00'",
    )
    pdf = "application/pdf"
    return {
        f"{base}/": Resource(page("Documents", filler(901, 3, lang="fr"), [f"{base}{link}" for link in links])),
        f"{base}/rapport.pdf": Resource(report, content_type=pdf),
        f"{base}/casse.pdf": Resource(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", content_type=pdf),
        f"{base}/verrou.pdf": Resource(make_pdf(["Secret"], user_password="s3cret"), content_type=pdf),
        f"{base}/fiche": Resource(make_pdf([f"Fiche {PDF_TERM}"], title="Fiche"), content_type="text/html"),
        f"{base}/au-dela.pdf": Resource(make_pdf([f"{PDF_TERM} encore"]), content_type=pdf),
        f"{base}/note.pdf": Resource(page("Note", ["Une note."], []), content_type=pdf),
    }
