"""watch's own crawl signals, sent with ``crawler.signals`` like Scrapy's (``scrapy.signals``).

Components that must not know each other meet here: the spider tells the scope that a page
failed; the scope tells whoever cares that a site of the next level was found, or, in a shared
crawl, which sites this process is about to read.
"""

from __future__ import annotations

#: Sent by the spider's errback when a page request fails (download error, robots.txt, …).
#: Arguments: ``request``, ``failure``.
page_failed = object()

#: Sent by the scope when a link makes a new site of the next level, surely in scope: its
#: robots.txt can be fetched before the level starts. Argument: ``url`` (the site's first link).
site_discovered = object()

#: Sent by the scope of a process of a shared crawl (``spiders.shared``) when it has taken sites
#: to read, before their first pages are requested. Argument: ``urls`` (those first pages).
sites_taken = object()
