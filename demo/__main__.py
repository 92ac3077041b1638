"""``python -m demo`` (``make demo``): crawl the offline demo web with the seed's equation.

Serves :func:`demo.web.build_demo_web` on 127.0.0.1 as an HTTP proxy, runs the real command a
user would type, from the repository root::

    python -m scrapy crawl expertblogs -a start_url=http://universdoc.test/blogs-experts \\
        -a query='Quorum OR Carata OR …' -O results/matches.jsonl -O results/matches.csv

with ``http_proxy`` pointing at the demo web (its log goes to ``results/crawl.log``), then prints
the coverage summary, the documents found with their snippets, the near misses, and a check of
the results against what the demo web plants: every in-scope mention found, no trap matched,
and no request at all for what lies outside the scope. The exit status is the crawl's when it
fails, 1 when a check fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from demo.web import (
    EQUATION,
    HIT,
    MENTIONS,
    NEAR_MISS,
    OUTSIDE,
    START_URL,
    TRAP,
    UNREACHED_SITES,
    build_demo_web,
)
from mockweb.crawl_settings import settings_args
from mockweb.server import MockWeb, resource_key

REPO = Path(__file__).resolve().parent.parent
#: Files a crawl leaves in the results folder, in the order they are listed.
_OUTPUTS = ("matches.jsonl", "matches.csv", "coverage.json", "coverage.html", "seeds.csv", "near_misses.json")
_LOG_TAIL = 25
#: Documents listed on the terminal; the feeds hold them all.
_LISTED = 20


def _crawl_command(results: Path) -> list[str]:
    """The command a user would type, feeds in ``results``."""
    arguments = ["-a", f"start_url={START_URL}", "-a", f"query={EQUATION}"]
    feeds = ["-O", str(results / "matches.jsonl"), "-O", str(results / "matches.csv")]
    return [sys.executable, "-m", "scrapy", "crawl", "expertblogs", *arguments, *settings_args(), *feeds]


def _crawl(web: MockWeb, results: Path) -> int:
    """Run the crawl as a user would, its log into ``crawl.log``; return its exit status."""
    log_path = results / "crawl.log"
    env = {**os.environ, **web.proxy_env()}
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        status = subprocess.run(
            _crawl_command(results), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        ).returncode
    print(f"Crawl finished in {time.monotonic() - started:.1f} s (exit status {status})")
    if status != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-_LOG_TAIL:]
        print(f"The crawl failed; the end of {_shown(log_path)}:", *tail, sep="\n  ")
    return status


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is below it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _print_documents(documents: list[dict[str, Any]]) -> None:
    print(f"\nDocuments matching the equation: {len(documents)}")
    ordered = sorted(documents, key=lambda d: (d.get("site_level", 0), d.get("url", "")))
    for doc in ordered[:_LISTED]:
        terms = ", ".join(doc.get("matched_terms") or []) or "-"
        print(f"  level {doc.get('site_level', '?')}  {doc.get('url')}  [{terms}]")
        for snippet in (doc.get("snippets") or [])[:1]:
            print(f"      « {snippet} »")
    if len(ordered) > _LISTED:
        print(f"  … and {len(ordered) - _LISTED} more in matches.jsonl")


def _print_near_misses(path: Path) -> None:
    if not path.exists():
        return
    report: dict[str, list[dict[str, Any]]] = json.loads(path.read_text(encoding="utf-8"))
    forms = [(term, form) for term, found in report.items() for form in found]
    print(f"\nNear misses ({len(forms)}; all in {_shown(path)}):")
    for term, form in forms[:12]:
        examples = form.get("examples") or ["?"]
        print(f"  {term}: '{form['form']}' in {form['count']} document(s), e.g. {examples[0]}")


def _check(documents: list[dict[str, Any]], requested: list[str]) -> list[str]:
    """Print how the crawl compares with what the demo web plants; return the problems found."""
    exported = {resource_key(doc["url"]) for doc in documents if doc.get("url")}
    requested_keys = {resource_key(url) for url in requested}
    requested_sites = {urlsplit(url).hostname for url in requested}
    problems: list[str] = []
    hit_urls = {m.url for m in MENTIONS if m.kind == HIT}
    hits = {resource_key(url) for url in hit_urls}
    decoys = {
        resource_key(m.url)
        for m in MENTIONS
        if m.kind in (TRAP, NEAR_MISS) and m.url not in hit_urls
    }
    print(
        f"\nPlanted in the demo web: {len(hits)} pages mention a term inside the scope; "
        f"{len(hits & exported)} of them exported."
    )
    problems += [f"an in-scope mention was not exported: {url}" for url in sorted(hits - exported)]
    problems += [f"a trap or a near miss matched: {url}" for url in sorted(decoys & exported)]
    outside = [m for m in MENTIONS if m.kind == OUTSIDE]
    print(
        f"{len(outside)} planted mentions lie outside the scope; the server log shows "
        "whether they were requested:"
    )
    for mention in outside:
        was_requested = resource_key(mention.url) in requested_keys
        verdict = "REQUESTED" if was_requested else "never requested"
        print(f"  {mention.term!r} at {mention.url}: {mention.why} ({verdict})")
        if was_requested:
            problems.append(f"outside the scope but requested: {mention.url}")
    touched = sorted(set(UNREACHED_SITES) & requested_sites)
    problems += [f"{site} was requested, yet it is {UNREACHED_SITES[site]}" for site in touched]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results", type=Path, default=REPO / "results", help="folder for the feeds and reports"
    )
    args = parser.parse_args(argv)
    results: Path = args.results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    resources = build_demo_web()
    sites = {urlsplit(url).hostname for url in resources}
    with MockWeb(resources) as web:
        print(f"Demo web: {len(resources)} resources on {len(sites)} sites, at {web.proxy_url}")
        print(f"Crawling {START_URL}\n  with the equation {EQUATION}")
        print(f"  log: {_shown(results / 'crawl.log')}")
        status = _crawl(web, results)
        requested = web.requested_urls()
    if status != 0:
        return status
    print()
    report_status = subprocess.run(
        [sys.executable, "-m", "watch.report", str(results / "coverage.json")], cwd=REPO
    ).returncode
    if report_status != 0:
        return report_status
    documents = _read_jsonl(results / "matches.jsonl")
    _print_documents(documents)
    _print_near_misses(results / "near_misses.json")
    problems = _check(documents, requested)
    print("\nResults:")
    for name in (*_OUTPUTS, "crawl.log"):
        if (results / name).exists():
            print(f"  {_shown(results / name)}")
    if problems:
        print("\nThe demo's checks failed:", *problems, sep="\n  ")
        return 1
    print("\nAll planted mentions in scope were found, no trap matched, nothing outside was read.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
