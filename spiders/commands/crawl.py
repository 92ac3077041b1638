"""``scrapy crawl``, checking a watch spider's arguments before anything starts.

Scrapy's own command builds the crawler first, so a bad ``-a`` value would surface as a traceback
after start-up. This one asks the spider class to check its arguments while the command line is
read, before Scrapy starts logging or opens anything, and prints one line naming the argument, the
value and what was expected (plus, for an equation, the equation with a caret under the faulty
column), with exit status 2 and no request sent. It also turns a run that the spider ended in
error (start page unreachable, no seeds) into exit status 1, so that schedulers and scripts see
the failure.

With ``WATCH_REDIS_URL``, this is also where the process joins its shared crawl
(:meth:`spiders.shared.SharedRun.open`): a main publishes its arguments (or finds the crawl it
resumes), a helper waits for the main's crawl and takes them; a problem there (Redis unreachable,
no crawl to join, a crawl in progress with other arguments) is one line and exit status 2, before
any request.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from spiders.arguments import ArgumentError, check_settings
from spiders.config import check_configs
from spiders.shared import SHARED_ARGUMENT, LeaseDupeFilter, SharedRun, check_helper

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            return
        assert self.settings is not None
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            return  # Scrapy reports the unknown spider itself
        check = getattr(spidercls, "check_arguments", None)
        if check is None:
            return
        try:
            arguments = check(opts.spargs)
            check_settings(self.settings, arguments)
            # Every component's config, from the settings as the arguments will set them.
            settings = self.settings.copy()
            spidercls.apply_arguments(settings, arguments)
            check_configs(settings)
            check_helper(arguments, settings)
            shared = SharedRun.open(settings, spidercls.name, opts.spargs)
        except ArgumentError as exc:
            print(f"scrapy crawl {args[0]}: {exc}", file=sys.stderr)
            if exc.detail:
                print(exc.detail, file=sys.stderr)
            raise SystemExit(2) from None
        if shared is not None:
            # Handed to the spider as a private argument (names starting with "_" pass through).
            opts.spargs[SHARED_ARGUMENT] = shared
            # A site read again by this process (its lease lapsed meanwhile) is requested again.
            self.settings.set("DUPEFILTER_CLASS", f"{LeaseDupeFilter.__module__}.{LeaseDupeFilter.__name__}", "cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = crawler._stats  # unset (and Crawler.stats raises) when the crawl never started
        reason = str(stats.get_value("finish_reason", "")) if stats is not None else ""
        if self.crawler_process.bootstrap_failed or not _succeeded(reason):
            self.exitcode = 1


def _succeeded(reason: str) -> bool:
    # Scrapy's own limits (CLOSESPIDER_*) end a run early on purpose: that is not a failure.
    return reason == "finished" or reason.startswith("closespider_")
