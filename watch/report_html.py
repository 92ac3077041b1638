"""The coverage report as one self-contained web page, for an analyst defending a result.

The page opens with the headline (``0 documents matched, out of 120 documents from 14 sites on
levels 1–5``) and the facts that make it believable, then gives the run's parameters, each
equation with what its terms hit and nearly hit, the sites of each level with their pages (one
collapsible block per site, so that 300 sites stay readable), the faults of the web met on the
way (each kind with its pages), what was not crawled and why, the totals and how they reconcile,
the feeds and the seeds.

It needs nothing but itself: inline CSS, no script, no font, no image, and a Content Security
Policy that forbids loading anything, so that it reads the same offline, archived or printed
(printing opens every block). Every string that came from the web — URLs, titles, anchor texts,
near-miss forms, error messages — is escaped; a URL is a link only when it is http(s).
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from watch.report import SCHEMA_VERSION, quantity, sorted_outcomes

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from watch.report import CoverageReport, EquationEvidence, Outcome, PageRecord, SiteRecord

#: Blocks of a list (seeds, sites not crawled) open by default when they are this short.
_OPEN_UP_TO = 30
#: Longer titles and details are cut, with an ellipsis: the page is evidence, not an archive.
_LONGEST_TEXT = 200
#: Spider arguments the parameters table shows in their own rows already.
_SHOWN_ARGUMENTS = frozenset({"start_url", "query", "queries_file", "site_depth", "pages_per_site"})
#: The page loads nothing, whatever a string in it might say: its one stylesheet is inline.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)

_CSS = """
:root{--ink:#1d2433;--muted:#5b6475;--line:#d8dce3;--soft:#f4f6f9;--accent:#1f5fbf;
--doc:#1e7b3a;--nodoc:#8a6d00;--err:#b3261e;--redir:#5b4bb7;--notsent:#6b7280}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1.5rem 2rem 3rem;color:var(--ink);background:#fff;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
h1{font-size:1.9rem;line-height:1.2;margin:.2rem 0 .6rem}
h1.zero{border-left:.4rem solid var(--accent);padding-left:.8rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
a{color:var(--accent);overflow-wrap:anywhere}
code,.url{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em;
overflow-wrap:anywhere}
.sub{color:var(--muted);margin:0 0 .8rem}
.evidence{background:var(--soft);border:1px solid var(--line);border-radius:6px;
padding:.7rem 1rem .7rem 2rem;margin:0}
.warning{background:#fff4e5;border:1px solid #e8b45a;border-radius:6px;padding:.6rem 1rem}
nav.toc{margin:1rem 0;color:var(--muted)}
nav.toc a{margin-right:1rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th{width:12rem;background:none}
.o{display:inline-block;border-radius:3px;padding:0 .35rem;margin:0 .2rem .1rem 0;font-size:.9em;
white-space:nowrap;border:1px solid currentColor}
.o-DOCUMENT{color:var(--doc)}.o-NO_DOCUMENT{color:var(--nodoc)}.o-ERROR{color:var(--err)}
.o-REDIRECTED{color:var(--redir)}.o-NOT_SENT{color:var(--notsent)}
.ok,.bad{font-weight:600;white-space:nowrap}.ok{color:var(--doc)}.bad{color:var(--err)}
.zero-hits{color:var(--err);font-weight:600}
.sites{border-top:1px solid var(--line)}
.row{display:grid;grid-template-columns:minmax(10rem,2fr) 6.5rem 4rem 5fr;gap:.6rem;
padding:.3rem .5rem;border-bottom:1px solid var(--line)}
.row.head{background:var(--soft);font-weight:600}
details.site>summary{list-style:none;cursor:pointer}
details.site>summary::-webkit-details-marker{display:none}
details.site>summary>span:first-child::before{content:"\\25B8\\00A0";color:var(--muted)}
details.site[open]>summary>span:first-child::before{content:"\\25BE\\00A0"}
details.site>table{margin:.2rem 0 .8rem 1.5rem;width:calc(100% - 1.5rem);table-layout:fixed}
details.site th:nth-child(1){width:3rem}details.site th:nth-child(3){width:4.5rem}
details.site :is(td,th):is(:nth-child(1),:nth-child(3)){text-align:right;font-variant-numeric:tabular-nums}
details.site th:nth-child(4){width:13rem}details.site th:nth-child(5){width:30%}
details.list>summary{cursor:pointer;margin:.3rem 0}
.muted{color:var(--muted)}
footer{margin-top:3rem;color:var(--muted);font-size:.9em}
@media print{
body{max-width:none;padding:0;font-size:10pt}
nav.toc{display:none}
a{color:inherit;text-decoration:none}
details::details-content{content-visibility:visible;display:block}
details.site>summary>span:first-child::before{content:""}
h2,h3{break-after:avoid}
.row,tr{break-inside:avoid}
}
"""


def render_html(report: CoverageReport) -> str:
    """Return the whole page for ``report``: one HTML document, escaped throughout.

    >>> from watch.report import DocumentFlow, RunParameters, build_report
    >>> coverage = {"site_depth": 1, "pages_per_site": 1, "sites": [], "sites_too_deep": [],
    ...             "events": {}}
    >>> report = build_report(coverage, RunParameters("sites", equations={"query": "<b>"}),
    ...                       documents=DocumentFlow())
    >>> page = render_html(report)
    >>> "<h1 class=\\"zero\\">0 documents matched, out of 0 documents from 0 sites</h1>" in page
    True
    >>> "&lt;b&gt;" in page and "<b>" not in page
    True
    """
    headline = report.headline()
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>Coverage: {_text(headline)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        _header(report, headline),
        _contents(),
        _parameters(report),
        _equations(report),
        _levels(report),
        _faults(report),
        _not_crawled(report),
        _totals(report),
        _feeds(report),
        _seeds(report),
        f'<footer>Coverage report of watch {_text(report.run.versions.get("watch", ""))}, '
        f"coverage.json schema {SCHEMA_VERSION}. Rebuild this page with "
        "<code>python -m watch.report coverage.json</code>.</footer>\n</body>\n</html>\n",
    ]
    return "".join(parts)


# -- sections ----------------------------------------------------------------------------------


def _header(report: CoverageReport, headline: str) -> str:
    # A zero-result run is marked, not alarming: zero may be the truth the evidence supports.
    zero_class = ' class="zero"' if report.run.equations and report.documents_matched == 0 else ""
    run = report.run
    about = f"{_text(run.spider)} crawl"
    if run.start_url:
        about += f" of {_link(run.start_url)}"
    if run.finished_at is not None:
        about += f", finished {_text(run.finished_at.isoformat(timespec='seconds'))}"
    if run.finish_reason:
        about += f" ({_text(run.finish_reason)})"
    parts = [
        "<header>\n",
        f"<h1{zero_class}>{_text(headline)}</h1>\n",
        f'<p class="sub">{about}</p>\n',
    ]
    if run.interrupted:
        parts.append(
            f'<p class="warning">This run was interrupted ({_text(run.finish_reason or "no finish reason")}):'
            " the figures cover what it read before it stopped.</p>\n"
        )
    parts.append(_list(report.evidence(), "evidence"))
    parts.append("</header>\n")
    return "".join(parts)


def _contents() -> str:
    links = [
        ("parameters", "Parameters"),
        ("equations", "Equations"),
        ("levels", "Sites per level"),
        ("faults", "Faults"),
        ("not-crawled", "Not crawled"),
        ("totals", "Totals"),
        ("feeds", "Feeds"),
        ("seeds", "Seeds"),
    ]
    return '<nav class="toc">' + "".join(f'<a href="#{a}">{label}</a>' for a, label in links) + "</nav>\n"


def _parameters(report: CoverageReport) -> str:
    run = report.run
    rows: list[tuple[str, str]] = [
        ("Spider", _text(run.spider)),
        ("Start URL", _link(run.start_url) if run.start_url else _muted("none (seeds given)")),
    ]
    for name, equation in run.equations.items():
        rows.append((f"Equation {name}", f"<code>{_text(equation)}</code>"))
    if not run.equations:
        rows.append(("Equation", _muted("none: every document is kept")))
    rows += [
        ("site_depth", f"{report.site_depth} level(s) of sites (the seeds are level 1)"),
        ("pages_per_site", f"{report.pages_per_site} page(s) per site"),
        ("Render mode", _text(run.render_mode)),
    ]
    rows += [
        (f"Argument {name}", f"<code>{_text(value)}</code>")
        for name, value in run.arguments.items()
        if name not in _SHOWN_ARGUMENTS
    ]
    if run.versions:
        versions = ", ".join(f"{name} {version}" for name, version in run.versions.items())
        rows.append(("Versions", _text(versions)))
    for label, moment in (("Started", run.started_at), ("Finished", run.finished_at)):
        if moment is not None:
            rows.append((label, _text(moment.isoformat(timespec="seconds"))))
    if run.started_at is not None and run.finished_at is not None:
        rows.append(("Duration", _text(_duration((run.finished_at - run.started_at).total_seconds()))))
    rows.append(("Finish reason", _text(run.finish_reason or "unknown")))
    rows.append(("Interrupted", "yes" if run.interrupted else "no"))
    body = "".join(f"<tr><th>{_text(label)}</th><td>{value}</td></tr>\n" for label, value in rows)
    return (
        f'<section id="parameters">\n<h2>Run parameters</h2>\n<table class="kv">\n{body}</table>\n'
        "</section>\n"
    )


def _equations(report: CoverageReport) -> str:
    parts = ['<section id="equations">\n<h2>Equations: documents per term, and near misses</h2>\n']
    if not report.equations:
        kept = "No equation: every document read was kept (see Totals for duplicates)."
        parts.append(f"<p>{_muted(kept)}</p>\n")
    for equation in report.equations:
        parts.append(_equation(report, equation))
    parts.append("</section>\n")
    return "".join(parts)


def _equation(report: CoverageReport, equation: EquationEvidence) -> str:
    terms = {term.term: term for term in report.terms}
    rows = []
    for text in equation.terms:
        term = terms[text]
        hits = f'<td class="n{" zero-hits" if term.documents == 0 else ""}">{term.documents}</td>'
        first = "<br>".join(_link(url) for url in term.first_urls) or _muted("—")
        misses = (
            "<br>".join(
                f"<q>{_text(miss.form)}</q> in {miss.count}"
                + (f" (e.g. {_link(miss.examples[0])})" if miss.examples else "")
                for miss in term.near_misses
            )
            or _muted("none")
        )
        rows.append(f"<tr><td><code>{_text(text)}</code></td>{hits}<td>{first}</td><td>{misses}</td></tr>\n")
    return (
        f"<h3>{_text(equation.name)}: <code>{_text(equation.equation)}</code> — "
        f"{quantity(equation.documents_matched, 'document')} matched</h3>\n"
        '<table>\n<tr><th>Term</th><th class="n">Documents</th><th>First documents</th>'
        f"<th>Near misses (documents)</th></tr>\n{''.join(rows)}</table>\n"
    )


def _levels(report: CoverageReport) -> str:
    levels = report.levels
    parts = ['<section id="levels">\n<h2>Sites per level</h2>\n']
    overview = []
    for level, sites in levels.items():
        counts: dict[Outcome, int] = {}
        for site in sites:
            for outcome, n in site.outcomes.items():
                counts[outcome] = counts.get(outcome, 0) + n
        overview.append(
            f'<tr><td><a href="#level-{level}">Level {level}</a></td><td class="n">{len(sites)}</td>'
            f'<td class="n">{sum(s.pages_counted for s in sites)}</td><td>{_outcomes(counts)}</td></tr>\n'
        )
    if overview:
        parts.append(
            '<table>\n<tr><th>Level</th><th class="n">Sites</th><th class="n">Pages requested</th>'
            f"<th>What became of the pages</th></tr>\n{''.join(overview)}</table>\n"
        )
    else:
        parts.append(f"<p>{_muted('No site was entered.')}</p>\n")
    number = 0
    for level, sites in levels.items():
        budget = "the start page alone" if level == 0 else f"at most {report.pages_per_site} per site"
        parts.append(
            f'<h3 id="level-{level}">Level {level}: {quantity(len(sites), "site")}, '
            f"{quantity(sum(s.pages_counted for s in sites), 'page')} requested ({budget})</h3>\n"
            '<div class="sites">\n<div class="row head"><span>Site</span><span>Pages used</span>'
            "<span>Left</span><span>What became of its pages</span></div>\n"
        )
        for site in sites:
            number += 1
            parts.append(_site(site, number))
        parts.append("</div>\n")
    parts.append("</section>\n")
    return "".join(parts)


def _site(site: SiteRecord, number: int) -> str:
    rows = "".join(_page_row(index, page) for index, page in enumerate(site.pages, 1))
    return (
        f'<details class="site" id="site-{number}"><summary class="row">'
        f"<span>{_text(site.site)}</span><span>{site.pages_counted} of {site.budget}</span>"
        f"<span>{site.budget_left}</span><span>{_outcomes(site.outcomes)}</span></summary>\n"
        '<table>\n<tr><th>#</th><th>Page</th><th>Status</th><th>Outcome</th>'
        f"<th>Title, detail</th></tr>\n{rows}</table>\n</details>\n"
    )


def _page_row(index: int, page: PageRecord) -> str:
    """One row of a site's pages. The bulk of a large page: end tags the HTML parser implies are
    left out, and columns are aligned by the stylesheet rather than by a class on each cell."""
    status = "" if page.status is None else str(page.status)
    notes = " — ".join(_text(_cut(text)) for text in (page.title, page.detail) if text)
    link = _link(page.url, _path(page.url))
    return f"<tr><td>{index}<td>{link}<td>{status}<td>{_badge(page.outcome)}<td>{notes}\n"


def _faults(report: CoverageReport) -> str:
    """Each kind of fault the crawl met (server errors, timeouts, binary or empty answers…), with
    its pages: what the figures above do not include, and where to look."""
    faults = report.faults
    parts = ['<section id="faults">\n<h2>Faults of the web</h2>\n']
    if not faults:
        parts.append(f"<p>{_muted('No page met a fault: no server error, download error or unreadable answer.')}</p>\n")
    else:
        total = sum(len(pages) for pages in faults.values())
        parts.append(
            f"<p>{quantity(total, 'page')} met a fault. Those marked as documents were read despite it; "
            "the others gave no document.</p>\n"
        )
    for outcome, pages in faults.items():
        summary = f'{_badge(outcome)} {quantity(len(pages), "page")} <code>{_text(outcome.value)}</code>'
        parts.append(_folding_list(summary, [_link(page.url) for page in pages]))
    parts.append("</section>\n")
    return "".join(parts)


def _not_crawled(report: CoverageReport) -> str:
    parts = ['<section id="not-crawled">\n<h2>Not crawled, and why</h2>\n']
    by_reason: dict[str, list[str]] = {}
    for entry in report.not_crawled:
        by_reason.setdefault(entry.reason.label, []).append(entry.site)
    if not by_reason:
        parts.append(f"<p>{_muted('Every site discovered within site_depth was entered.')}</p>\n")
    for label, sites in by_reason.items():
        parts.append(_folding_list(f'{quantity(len(sites), "site")}: {_text(label)}', [_text(site) for site in sites]))
    skips = [(skip.label, count) for skip, count in report.link_skips.items()]
    parts.append(
        "<h3>Links not followed</h3>\n<table>\n"
        + "".join(f'<tr><td>{_text(label)}</td><td class="n">{count}</td></tr>\n' for label, count in skips)
        + "</table>\n</section>\n"
    )
    return "".join(parts)


def _totals(report: CoverageReport) -> str:
    rows = []
    for check in report.reconciliations():
        parts = " + ".join(f"{_text(label)} {count}" for label, count in check.parts) or "nothing"
        verdict = '<span class="ok">✓ reconciles</span>'
        if not check.balanced:
            difference = check.total - sum(count for _, count in check.parts)
            verdict = f'<span class="bad">✗ off by {difference:+d}</span>'
        rows.append(
            f'<tr><td>{_text(check.label)}</td><td class="n">{check.total}</td><td>= {parts}</td>'
            f"<td>{verdict}</td></tr>\n"
        )
    flow = report.documents
    return (
        '<section id="totals">\n<h2>Totals</h2>\n'
        f"<p>{quantity(report.pages_requested, 'page')} requested, {quantity(flow.read, 'document')} read, "
        f"{flow.exported} exported. Each total below is counted by one part of the crawl and its parts by "
        "others: they must agree.</p>\n"
        '<table>\n<tr><th>Total</th><th class="n"></th><th>Parts</th><th>Check</th></tr>\n'
        f"{''.join(rows)}</table>\n"
        f"<h3>HTTP statuses</h3>\n<p>{_statuses(report.statuses)}</p>\n</section>\n"
    )


def _feeds(report: CoverageReport) -> str:
    rows = "".join(
        f"<tr><td>{_link(feed.uri)}</td>"
        f'<td class="n">{"not known" if feed.items is None else feed.items}</td></tr>\n'
        for feed in report.feeds
    )
    table = (
        f'<table>\n<tr><th>Feed</th><th class="n">Items</th></tr>\n{rows}</table>\n'
        if rows
        else f"<p>{_muted('No feed.')}</p>\n"
    )
    return (
        '<section id="feeds">\n<h2>Feeds</h2>\n'
        f"<p>{quantity(report.documents.exported, 'document')} exported.</p>\n{table}</section>\n"
    )


def _seeds(report: CoverageReport) -> str:
    seeds = [seed for seed in report.seeds if seed.rank]
    start = [seed for seed in report.seeds if not seed.rank]
    parts = ['<section id="seeds">\n<h2>Seeds</h2>\n']
    for seed in start:
        parts.append(f"<p>Start page of the seed list: {_link(seed.url)} {_text(seed.text)}</p>\n")
    if not seeds:
        parts.append(f"<p>{_muted('No seed list was recorded.')}</p>\n")
    else:
        items = [f"{_link(seed.url)}{' — ' + _text(seed.text) if seed.text else ''}" for seed in seeds]
        parts.append(_folding_list(f'{quantity(len(seeds), "seed")} (level 1)', items, numbered=True))
    parts.append("</section>\n")
    return "".join(parts)


# -- pieces ------------------------------------------------------------------------------------


def _folding_list(summary: str, items: list[str], *, numbered: bool = False) -> str:
    """A list (``items``: HTML) under a ``summary`` (HTML) that opens it, open already when it is
    short (:data:`_OPEN_UP_TO` items at most)."""
    tag = "ol" if numbered else "ul"
    opened = " open" if len(items) <= _OPEN_UP_TO else ""
    entries = "".join(f"<li>{item}</li>" for item in items)
    return f'<details class="list"{opened}><summary>{summary}</summary><{tag}>{entries}</{tag}></details>\n'


def _text(value: object) -> str:
    """Text for an element or a quoted attribute: ``& < > " '`` escaped."""
    return escape(str(value), quote=True)


def _link(url: str, shown: str | None = None) -> str:
    """``url`` as text, and as a link only when it is an http(s) URL.

    >>> _link('http://a.test/?q="x"&y=<1>', "x")
    '<a href="http://a.test/?q=&quot;x&quot;&amp;y=&lt;1&gt;">x</a>'
    >>> _link("javascript:alert(1)")
    '<span class="url">javascript:alert(1)</span>'
    """
    text = _text(url if shown is None else shown)
    if _HTTP_URL.match(url):
        return f'<a href="{_text(url)}">{text}</a>'
    return f'<span class="url">{text}</span>'


def _path(url: str) -> str:
    """What a page's URL adds to its site's: path, query and fragment (the site heads the block).

    >>> _path("https://a.test/blog/post?id=2"), _path("http://a.test"), _path("mailto:x@a.test")
    ('/blog/post?id=2', '/', 'mailto:x@a.test')
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    prefix = f"{parts.scheme}://{parts.netloc}"
    if not parts.netloc or not url.startswith(prefix):
        return url
    return url[len(prefix) :] or "/"


def _muted(text: str) -> str:
    return f'<span class="muted">{_text(text)}</span>'


def _badge(outcome: Outcome) -> str:
    return f'<span class="o o-{outcome.group.name}">{_text(outcome.label)}</span>'


def _outcomes(counts: Mapping[Outcome, int]) -> str:
    badges = [
        f'<span class="o o-{outcome.group.name}">{count} {_text(outcome.label)}</span>'
        for outcome, count in sorted_outcomes(counts)
    ]
    return "".join(badges) or _muted("no page")


def _statuses(statuses: Mapping[int, int]) -> str:
    return ", ".join(f"HTTP {status}: {count}" for status, count in statuses.items()) or "no page answered"


def _list(lines: Iterable[str], css_class: str) -> str:
    return f'<ul class="{css_class}">' + "".join(f"<li>{_text(line)}</li>" for line in lines) + "</ul>\n"


def _cut(text: str) -> str:
    return text if len(text) <= _LONGEST_TEXT else text[: _LONGEST_TEXT - 1] + "…"


def _duration(seconds: float) -> str:
    """``1 h 02 min 05 s``, ``4 min 10 s``, ``12 s``.

    >>> _duration(3725.2), _duration(250), _duration(12.4)
    ('1 h 02 min 05 s', '4 min 10 s', '12 s')
    """
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
