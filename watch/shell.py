"""Does a page's plain HTML look script-built? The test behind ``render=auto`` (issue 8).

With ``render=auto`` every page is fetched plainly first, and only the pages whose HTML is an
empty shell that scripts fill in the browser are fetched again through Chromium. A miss costs a
document (its text never read); a false alarm costs a render (about a second). So the detector
leans towards rendering when the page gives little to read, and stays quiet on pages that have
text of their own.

A page is a shell when it **runs scripts** and at least one of these signals fires:

``little_text``
    Its visible text is shorter than :attr:`ShellConfig.text_chars`.
``empty_app_root``
    It has an element where a script framework mounts the page (:data:`APP_ROOT_IDS`, the
    AngularJS ``ng-view``/``ui-view`` markers, ``<app-root>``, ``<my-app>``) that holds next to
    no text (less than :attr:`ShellConfig.root_text_chars`), and the page has less text than
    :attr:`ShellConfig.hinted_text_chars` elsewhere (its static header and footer).
``noscript_plea``
    A ``<noscript>`` mentions JavaScript ("enable JavaScript", "JavaScript is required",
    "Veuillez activer JavaScript", "Bitte aktivieren Sie JavaScript": the word is the same in
    French and German), and the page has less text than :attr:`ShellConfig.hinted_text_chars`.
    On a page with text of its own such a plea belongs to a widget (Disqus comments, a map).
``template_text``
    At least :attr:`ShellConfig.template_share` of its visible text is template expressions left
    for a script to fill: ``{{ctrl.content.title}}`` (Angular, Vue, Handlebars), ``[[…]]``
    (Polymer), ``${…}`` (Lit, template literals).

"Runs scripts" means a ``<script src>`` or inline code of :attr:`ShellConfig.inline_script_chars`
or more in all (an analytics snippet is smaller). Only code counts: JSON data, JSON-LD and
templates held in ``<script>`` do not. A page that runs no code cannot be script-built: rendering
it would show the same text, so short pages without scripts are left alone.

Cost: it takes the tree and the text the crawl already has, and it reads the tree only when the
text is short or full of template syntax, so a page with text costs a few substring searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

if TYPE_CHECKING:
    from lxml.etree import _Element

#: The signals, in the order a verdict lists them; counted as ``watch/render/<signal>``.
SIGNALS = ("little_text", "empty_app_root", "noscript_plea", "template_text")

#: ``id`` of the element that script frameworks render into, by their starter templates:
#: React (Create React App, Vite: ``root``), Vue and Vite (``app``), Next.js (``__next``),
#: Gatsby (``___gatsby``), Nuxt (``__nuxt``), Quasar (``q-app``), Svelte (``svelte``), and the
#: names teams give them (``app-root``, ``react-root``).
APP_ROOT_IDS = ("root", "app", "app-root", "react-root", "__next", "___gatsby", "__nuxt", "q-app", "svelte")


@dataclass(frozen=True)
class ShellConfig:
    """Thresholds of the shell detector (settings ``WATCH_RENDER_*``)."""

    text_chars: int = 200  #: less visible text than this, on a page that runs scripts, is a shell
    hinted_text_chars: int = 1000  #: with an empty app root or a JavaScript plea, less text is a shell
    root_text_chars: int = 40  #: an app root with less text than this is empty ("Loading…")
    inline_script_chars: int = 1000  #: inline code from this size on counts as running scripts
    template_share: float = 0.25  #: share of the visible text in template expressions that makes a shell

    def __post_init__(self) -> None:
        for name in ("text_chars", "hinted_text_chars", "root_text_chars", "inline_script_chars"):
            if getattr(self, name) < 0:
                raise ValueError(f"ShellConfig.{name} must not be negative, got {getattr(self, name)!r}")
        if self.text_chars > self.hinted_text_chars:
            raise ValueError(
                f"ShellConfig.text_chars ({self.text_chars}) must not exceed "
                f"hinted_text_chars ({self.hinted_text_chars})"
            )
        if not 0 < self.template_share <= 1:
            raise ValueError(f"ShellConfig.template_share must be in (0, 1], got {self.template_share!r}")


class Signal(NamedTuple):
    """One reason to think a page is script-built: its name (:data:`SIGNALS`) and what was seen."""

    name: str
    detail: str


@dataclass(frozen=True)
class ShellVerdict:
    """Whether a page looked script-built, and why (the signals that fired, in :data:`SIGNALS` order)."""

    signals: tuple[Signal, ...] = ()

    @property
    def is_shell(self) -> bool:
        """True when any signal fired: the page is worth rendering."""
        return bool(self.signals)

    @property
    def because(self) -> str:
        """The reasons, for the coverage report ("page looked script-built because: …").

        >>> ShellVerdict((Signal("little_text", "12 characters of text"),
        ...               Signal("empty_app_root", "empty <div id=root>"))).because
        '12 characters of text; empty <div id=root>'
        """
        return "; ".join(signal.detail for signal in self.signals)


NOT_SHELL = ShellVerdict()


def shell_verdict(tree: _Element, text: str, config: ShellConfig = ShellConfig()) -> ShellVerdict:
    """Tell whether the page whose parsed HTML is ``tree`` and visible text ``text`` is a shell.

    ``tree`` is the page's root element as lxml (or parsel, ``Selector.root``) parsed it;
    ``text`` its visible body text as :func:`watch.text.visible_text` extracted it (without the
    title). Steps:

    1. The text's length, and its share of template expressions when it holds ``{{``, ``[[`` or
       ``${`` at all. A page with as much text as :attr:`ShellConfig.hinted_text_chars` and little
       template syntax is no shell: the tree is not read.
    2. The scripts (``<script src>``, inline code): without code to run, no shell.
    3. The signals, as the module documentation describes them.

    >>> from lxml.html import fromstring
    >>> shell = '<html><body><div id="root"></div><script src="/main.js"></script></body></html>'
    >>> shell_verdict(fromstring(shell), "").because
    'no visible text, with 1 script file; empty <div id=root>'
    >>> shell_verdict(fromstring("<html><body><p>Short notice.</p></body></html>"), "Short notice.")
    ShellVerdict(signals=())
    """
    size = len(text)
    template_share = _template_share(text) if size else 0.0
    templated = template_share >= config.template_share
    if size >= config.hinted_text_chars and not templated:
        return NOT_SHELL
    markup = _read_markup(tree)
    if not markup.files and markup.inline_chars < config.inline_script_chars:
        return NOT_SHELL
    signals = []
    if size < config.text_chars:
        amount = f"{size} characters of text" if size else "no visible text"
        signals.append(Signal("little_text", f"{amount}, with {markup.scripts}"))
    if size < config.hinted_text_chars:
        root = _empty_app_root(tree, markup, config.root_text_chars)
        if root:
            signals.append(Signal("empty_app_root", f"empty {root}"))
        plea = _javascript_plea(markup.noscripts)
        if plea:
            signals.append(Signal("noscript_plea", f"<noscript> says {plea!r}"))
    if templated:
        signals.append(Signal("template_text", f"{template_share:.0%} of the text is template expressions"))
    return ShellVerdict(tuple(signals))


# Where script frameworks mount the page, besides APP_ROOT_IDS: the root components of Angular's
# and Polymer's starter projects, and AngularJS and ui-router views (elements, or attributes: the
# usual form). React's ``data-reactroot`` is left out: only server rendering writes it (the corpus
# has two server-rendered pages with an empty one), so it never marks a shell.
_ROOT_TAGS = ("app-root", "my-app", "ng-view", "ui-view")
_ROOTS_BY_ID = etree.XPath(f"id('{' '.join(APP_ROOT_IDS)}')")  # libxml2's table of ids: no tree walk
# Finding attributes walks the whole tree (about 0.5 µs an element): done only on AngularJS pages.
_VIEWS = etree.XPath("//*[@ng-view or @data-ng-view or @ui-view or @data-ui-view]")
_NG_APP = ("ng-app", "data-ng-app", "x-ng-app")
# Elements whose content a reader does not see as text.
_UNSHOWN = frozenset({"script", "style", "noscript", "template"})


@dataclass
class _Markup:
    """What one pass over a page's scripts, ``<noscript>`` and app-root elements found."""

    files: int = 0  # <script src> running code
    inline_chars: int = 0  # inline code, in characters
    angularjs: bool = False  # a script file named after Angular, or an ng-app on <html> or <body>
    noscripts: list[_Element] = field(default_factory=list)
    roots: list[_Element] = field(default_factory=list)  # elements named in _ROOT_TAGS

    @property
    def scripts(self) -> str:
        """What the page runs, in words.

        >>> _Markup(1).scripts, _Markup(3, 2048).scripts, _Markup(0, 1500).scripts
        ('1 script file', '3 script files and 2048 characters of inline code', '1500 characters of inline code')
        """
        parts = []
        if self.files:
            parts.append(f"{self.files} script file{'s' if self.files > 1 else ''}")
        if self.inline_chars:
            parts.append(f"{self.inline_chars} characters of inline code")
        return " and ".join(parts)


def _read_markup(tree: _Element) -> _Markup:
    """Survey the page's scripts, ``<noscript>`` and root elements, in one pass over the tree."""
    markup = _Markup()
    body = tree.find("body")
    declaring = (tree,) if body is None else (tree, body)
    markup.angularjs = any(element.get(name) is not None for element in declaring for name in _NG_APP)
    for element in tree.iter("script", "noscript", *_ROOT_TAGS):
        tag = element.tag
        if tag == "script":
            if not _is_code(element.get("type")):
                continue
            source = element.get("src")
            if source:
                markup.files += 1
                markup.angularjs = markup.angularjs or "angular" in source.lower()
            else:
                markup.inline_chars += len(element.text or "")
        elif tag == "noscript":
            markup.noscripts.append(element)
        else:
            markup.roots.append(element)
    return markup


def _is_code(script_type: str | None) -> bool:
    """Tell whether a ``<script type>`` runs: no type, a JavaScript type, ``module``, Babel/JSX,
    or a deferred loader's rewritten type (Cloudflare's ``text/rocketscript``). Data blocks
    (``application/ld+json``, ``application/json``, ``text/template``, ``text/x-handlebars``…) do not.

    >>> [_is_code(t) for t in (None, "", "text/javascript", "module", "text/babel",
    ...                        "text/rocketscript", "application/ld+json", "text/x-template")]
    [True, True, True, True, True, True, False, False]
    """
    kind = (script_type or "").strip().lower()
    return not kind or kind == "module" or "script" in kind or kind in ("text/babel", "text/jsx")


def _empty_app_root(tree: _Element, markup: _Markup, max_chars: int) -> str:
    """Describe the first app root holding less than ``max_chars`` of text, or return ``""``."""
    roots = [*_ROOTS_BY_ID(tree), *markup.roots, *(_VIEWS(tree) if markup.angularjs else ())]
    for root in roots:
        if _shown_chars(root, max_chars) < max_chars:
            return _describe(root)
    return ""


def _shown_chars(root: _Element, limit: int) -> int:
    """Count the characters a reader sees in ``root`` (whitespace apart), stopping at ``limit``.

    >>> from lxml.html import fromstring
    >>> _shown_chars(fromstring('<div>Lo<script>var x = 1;</script>ad<!-- c -->ing</div>'), 100)
    7
    """
    chars = 0
    walker = etree.iterwalk(root, events=("start", "comment", "pi"))  # their tails are text too
    for event, node in walker:
        if node is not root and node.tail:
            chars += len(node.tail.strip())
        if event != "start":
            continue
        if node.tag in _UNSHOWN:
            walker.skip_subtree()
        elif node.text:
            chars += len(node.text.strip())
        if chars >= limit:
            break
    return chars


def _describe(element: _Element) -> str:
    """An element as a short tag: ``<div id=root>``, ``<app-root>``, ``<div ng-view>``."""
    element_id = element.get("id")
    if element_id:
        return f"<{element.tag} id={element_id}>"
    marker = next((f" {name}" for name in ("ng-view", "data-ng-view", "ui-view", "data-ui-view")
                   if element.get(name) is not None), "")  # fmt: skip
    return f"<{element.tag}{marker}>"


def _javascript_plea(noscripts: list[_Element]) -> str:
    """The text of the first ``<noscript>`` that mentions JavaScript, shortened; else ``""``."""
    for noscript in noscripts:
        said = " ".join("".join(noscript.itertext()).split())
        if "javascript" in said.lower():
            return said if len(said) <= 80 else said[:79] + "…"
    return ""


# Template expressions, bounded so that an unclosed opener costs a bounded scan.
_TEMPLATE = re.compile(r"\{\{.{0,1000}?\}\}|\[\[.{0,1000}?\]\]|\$\{.{0,1000}?\}", re.DOTALL)


def _template_share(text: str) -> float:
    """The share of ``text`` inside template expressions; 0 without an opener (no regex then).

    >>> _template_share("{{ctrl.content.title}}"), _template_share("Price: $5 {not a template}")
    (1.0, 0.0)
    >>> round(_template_share("Hello {{user.name}}, welcome"), 2)
    0.46
    """
    # One-character searches first: they are several times faster than two-character ones.
    if not (("{" in text and ("{{" in text or "${" in text)) or ("[" in text and "[[" in text)):
        return 0.0
    return sum(len(match) for match in _TEMPLATE.findall(text)) / len(text)
