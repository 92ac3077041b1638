"""``scrapy crawl``, checking a watch spider's arguments before anything starts.

Scrapy's own command builds the crawler first, so a bad ``-a`` value would surface as a traceback
after start-up. This one asks the spider class to check its arguments first and prints one line
naming the argument, the value and what was expected, with exit status 2 and no request sent. It
also turns a run that the spider ended in error (start page unreachable, no seeds) into exit
status 1, so that schedulers and scripts see the failure.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from spiders.arguments import ArgumentError

if TYPE_CHECKING:
    import argparse

class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process is not None
        spidercls = self.crawler_process.spider_loader.load(args[0])
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(opts.spargs)
            except ArgumentError as exc:
                print(f"scrapy crawl {args[0]}: {exc}", file=sys.stderr)
                if exc.detail:
                    print(exc.detail, file=sys.stderr)
                self.exitcode = 2
                return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = str(crawler.stats.get_value("finish_reason", "")) if crawler.stats else ""
        if self.crawler_process.bootstrap_failed or not _succeeded(reason):
            self.exitcode = 1


def _succeeded(reason: str) -> bool:
    # Scrapy's own limits (CLOSESPIDER_*) end a run early on purpose: that is not a failure.
    return reason == "finished" or reason.startswith("closespider_")
