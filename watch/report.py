"""The coverage report: what a crawl read and what it left out, and why (DESIGN §8).

A run that finds nothing must be believable. The report lists the sites of each level, the pages
counted per site with their statuses, every reason a page or site was not read (robots.txt, page
budget, depth, errors), and how many documents each term of the equation hit. It is written as
``coverage.json`` beside the feeds and printed as a short summary at the end of every run;
``python -m watch.report results/coverage.json`` prints that summary again.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

_TERM_PREFIX = "watch/match/term/"


def build_report(
    scope_coverage: Mapping[str, Any],
    stats: Mapping[str, Any],
    *,
    start_url: str = "",
    equation: str = "",
    feeds: list[str] | None = None,
) -> dict[str, Any]:
    """Combine the scope's coverage and the crawl stats into the report written as JSON."""
    statuses: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for site in scope_coverage["sites"]:
        for page in site["pages"]:
            outcomes[page["outcome"] or "lost"] += 1
            if page["status"] is not None:
                statuses[str(page["status"])] += 1
    events = scope_coverage["events"]
    return {
        "start_url": start_url,
        "equation": equation,
        "finish_reason": stats.get("finish_reason", ""),
        "site_depth": scope_coverage["site_depth"],
        "pages_per_site": scope_coverage["pages_per_site"],
        "levels": scope_coverage["levels"],
        "pages_requested": sum(site["pages_counted"] for site in scope_coverage["sites"]),
        "statuses": dict(sorted(statuses.items())),
        "documents_read": stats.get("watch/pages/documents", 0),
        "documents_exported": stats.get("item_scraped_count", 0),
        "skipped": {
            "robots_txt": outcomes["robots"],
            "download_errors": outcomes["error"],
            "links_beyond_page_budget": events.get("budget_exhausted", 0),
            "links_to_sites_too_deep": events.get("too_deep_link", 0),
            "sites_too_deep": len(scope_coverage["sites_too_deep"]),
            "links_not_http": events.get("not_http", 0),
            "links_already_seen": events.get("duplicate_link", 0),
            "links_to_known_sites": events.get("known_site_link", 0),
            "redirects_refused": events.get("redirect_refused", 0),
            "links_to_private_addresses": events.get("private_address_link", 0),
            "private_addresses": outcomes["private_address"],
        },
        "term_hits": {
            key[len(_TERM_PREFIX) :]: value
            for key, value in stats.items()  # the matcher sets them in equation order
            if key.startswith(_TERM_PREFIX)
        },
        "feeds": feeds or [],
        "sites": scope_coverage["sites"],
        "sites_too_deep": scope_coverage["sites_too_deep"],
        "sites_private": scope_coverage["sites_private"],
    }


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """A short, readable account of ``report`` for the end of a crawl log or a terminal."""
    lines = [
        f"Coverage of {report['start_url'] or 'the seeds'}: "
        f"{report['site_depth']} level(s) of sites, {report['pages_per_site']} page(s) per site"
    ]
    pages_by_site = {site["site"]: site["pages_counted"] for site in report["sites"]}
    for level, sites in sorted(report["levels"].items(), key=lambda item: int(item[0])):
        pages = sum(pages_by_site.get(site, 0) for site in sites)
        names = ", ".join(sites[:6]) + (f", … (+{len(sites) - 6})" if len(sites) > 6 else "")
        lines.append(f"  level {level}: {len(sites)} site(s), {pages} page(s): {names}")
    too_deep = report["sites_too_deep"]
    if too_deep:
        lines.append(
            f"  deeper than level {report['site_depth']}, never requested: {len(too_deep)} site(s) "
            f"({', '.join(too_deep[:6])}{', …' if len(too_deep) > 6 else ''})"
        )
    statuses = ", ".join(f"{code}: {n}" for code, n in report["statuses"].items()) or "none"
    lines.append(f"Pages requested: {report['pages_requested']} (HTTP {statuses})")
    lines.append(
        f"Documents read: {report['documents_read']}; exported: {report['documents_exported']}"
    )
    skipped = ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in report["skipped"].items() if n)
    lines.append(f"Not read: {skipped or 'nothing'}")
    if report["equation"]:
        lines.append(f"Equation: {report['equation']}")
    if report["term_hits"]:
        hits = ", ".join(f"{term}: {n}" for term, n in report["term_hits"].items())
        lines.append(f"Documents per term: {hits}")
    if report["feeds"]:
        lines.append(f"Feeds: {', '.join(report['feeds'])}")
    return lines


def write_report(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m watch.report PATH/coverage.json", file=sys.stderr)
        return 2
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    print("\n".join(summary_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
