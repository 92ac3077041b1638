"""``sites``: a list of sites given by the analyst, as level-1 seeds.

``-a urls=https://a.example/,https://b.example/`` or ``-a seeds_file=seeds.csv`` (a CSV with a
``url`` column, or one URL a line). There is no portal page: the crawl starts at level 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from spiders.arguments import Argument, ArgumentError, seed_list_file, url_list
from spiders.base import COMMON_ARGUMENTS, WatchSpider
from watch.seeds import Seed, read_seeds_file

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from pathlib import Path

    from scrapy import Request


class SitesSpider(WatchSpider):
    """Crawl the given sites and what they link to, level by level, within the scope."""

    name = "sites"
    arguments: ClassVar[dict[str, Argument]] = {
        **COMMON_ARGUMENTS,
        "urls": Argument(url_list, "comma-separated seed URLs"),
        "seeds_file": Argument(seed_list_file, "file of seed URLs (CSV with a url column, or one a line)"),
    }

    @classmethod
    def check_arguments(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        parsed = super().check_arguments(given)
        if "urls" not in parsed and "seeds_file" not in parsed:
            raise ArgumentError("missing argument: give urls=URL,URL or seeds_file=PATH")
        return parsed

    def __init__(
        self, urls: list[str] | None = None, seeds_file: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        from_file = read_seeds_file(seeds_file) if seeds_file is not None else []
        listed = [(url, "") for url in urls or []] + [(s.url, s.text) for s in from_file if s.rank]
        start_pages = [seed for seed in from_file if seed.rank == 0]
        self.seeds = start_pages + [Seed(url, text, rank) for rank, (url, text) in enumerate(listed, 1)]

    async def start(self) -> AsyncIterator[Request]:
        self.record_seeds(self.seeds)
        for request in self.seed_requests(self.seeds):
            yield request
