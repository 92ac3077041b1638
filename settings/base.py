"""Every setting watch reads, with its default and a one-line reason.

Scrapy loads this through ``scrapy.cfg`` (``[settings] default = settings``). Spider arguments
(``-a site_depth=3``) are validated by the spider and written over these defaults at ``spider``
priority, so each component reads its configuration in one place: its own settings.
"""

from __future__ import annotations

import os

from watch import urls as _urls

BOT_NAME = "watch"  # name in logs and the default User-Agent
SPIDER_MODULES = ["spiders"]  # where `scrapy crawl NAME` looks for spiders
NEWSPIDER_MODULE = "spiders"  # where `scrapy genspider` writes
COMMANDS_MODULE = "spiders.commands"  # custom commands (`scrapy equation`)
USER_AGENT = "watch/0.2 (web monitoring crawler)"  # the spider adds "; +WATCH_CONTACT" when a contact is set
WATCH_CONTACT = ""  # how a site owner reaches you (mailto:… or https://…), named in the User-Agent
ROBOTSTXT_OBEY = True  # DESIGN §2: robots.txt is obeyed

# Offline-safe start: Scrapy's cookie module builds a tldextract object, at import, that downloads
# the public-suffix list on first use. tldextract reads this variable when that object is built
# (after this module is loaded), and an empty value makes it use the snapshot it ships.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

# Politeness per site, parallelism across sites.
CONCURRENT_REQUESTS = 32  # across all sites
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # per site: few at once
DOWNLOADER = "spiders.downloader.Downloader"  # Scrapy's, keeping the per-site limit when no delay applies (AutoThrottle off)
CONCURRENT_ITEMS = 8  # output workers per page: a page yields one document (Scrapy's 100 cost CPU for nothing)
AUTOTHROTTLE_ENABLED = True  # polite by default (tests, the demo and benchmarks switch it off explicitly)
AUTOTHROTTLE_START_DELAY = 1.0  # first delay per site under AutoThrottle (Scrapy's 5 s is long for 10 pages)
AUTOTHROTTLE_MAX_DELAY = 30.0  # a slow site is waited for, up to this delay between its requests
DOWNLOAD_TIMEOUT = 30  # seconds before a page counts as a download error
RETRY_TIMES = 1  # one retry for transient errors; every page request still counts once
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # larger bodies are dropped (and counted as errors)
HTTPERROR_ALLOW_ALL = True  # every status reaches the spider: pages are counted whatever their status
REDIRECT_MAX_TIMES = 5  # a redirect chain longer than this is an error
COOKIES_ENABLED = False  # monitoring reads public pages; cookies only add per-visit noise
TELNETCONSOLE_ENABLED = False  # no listening socket on a monitoring host
REMOTE_CONTROL_ENABLED = False  # nor Scrapy's remote-control HTTP server
RETRY_HTTP_CODES = [500, 503, 504, 522, 524, 408, 429]  # server errors and "try later" answers, retried RETRY_TIMES (a 502, a gateway saying the site is unreachable, is not); a 5xx still failing is a server_error

# Breadth-first order: lower depth first, FIFO queues (DESIGN §2).
DEPTH_PRIORITY = 1  # a page one hop deeper waits behind the shallower ones
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"  # first in, first out: link order
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"  # first in, first out: link order

FEED_EXPORT_ENCODING = "utf-8"  # JSONL and CSV in UTF-8 (CSV gets a BOM from its exporter)
FEED_EXPORTERS = {"csv": "pipelines.feeds.AnalystCsvItemExporter"}  # CSV for spreadsheets: BOM, readable lists, no formula injection
LOG_LEVEL = "INFO"  # DEBUG lists every request

# Safety and politeness (DESIGN §9): no private networks, robots.txt obeyed with its Crawl-delay.
TWISTED_DNS_RESOLVER = "spiders.netsafety.GuardedResolver"  # Scrapy's resolver, refusing private answers
DOWNLOADER_MIDDLEWARES = {
    "spiders.netsafety.NetworkSafetyMiddleware": 40,  # before robots.txt: a refused host gets no request at all
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.WatchRobotsTxtMiddleware": 100,  # the same, with a refusal the scope recognises by type
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "spiders.redirects.RedirectMiddleware": 600,  # Scrapy's, with redirect loops and non-http targets made page faults
    "spiders.render.RenderMiddleware": 950,  # next to the downloader: a failed render falls back before Retry sees it
    "spiders.encoding.UndeclaredEncodingMiddleware": 955,  # after the PDF test: a page declaring no charset is UTF-8, else windows-1252
    "spiders.pdf.DocumentTypeMiddleware": 960,  # the bytes decide: a PDF served as text/html is a PDF
}
EXTENSIONS = {
    "spiders.robots.CrawlDelay": 100,  # after AutoThrottle (0), so the Crawl-delay stays a floor
    "spiders.evidence.Evidence": 0,  # the run's evidence: seeds, ledger, progress, coverage report
    "scrapy.extensions.logstats.LogStats": None,  # its line is replaced by the Evidence progress line
}
WATCH_ALLOW_PRIVATE_NETWORKS = False  # True only for local webs (tests, demo): localhost, private and metadata addresses
WATCH_ROBOTS_CRAWL_DELAY = True  # wait robots.txt's Crawl-delay between two requests to a site
WATCH_ROBOTS_MAX_CRAWL_DELAY = 30.0  # seconds; a longer Crawl-delay is capped (and counted)

# watch components -------------------------------------------------------------------------------
SPIDER_MIDDLEWARES = {
    # After the referer (700) and depth (900) middlewares in the output chain: the requests it
    # holds already carry their Referer header and page depth.
    "spiders.scope.ScopeMiddleware": 600,
}
WATCH_SCOPE_SITE_DEPTH = 5  # levels of sites read (level 1 = the seeds); deeper sites are never requested
WATCH_SCOPE_PAGES_PER_SITE = 10  # distinct pages read per site, breadth-first from where it was entered
WATCH_EXPERTBLOGS_START_URL = ""  # the portal page listing expert blogs (-a start_url=...); no built-in address
WATCH_EXPERTBLOGS_SEED_CSS = ""  # CSS selector of the blog list on the portal page ("" = main-content heuristics)
WATCH_EXPERTBLOGS_SEED_EXTRACTOR = "watch.seeds.extract_seeds"  # (html, url, css) -> SeedList; swap for an odd portal
WATCH_TEXT_EXTRACTOR = "watch.text.visible_text"  # (lxml.html tree, *, max_chars) -> PageText(title, text, lang, truncated): the searched text; reads, never modifies, the shared tree
WATCH_TEXT_MAX_CHARS = 1_000_000  # characters of a page's text analysed, searched and exported (about 300 printed pages); beyond, the page is text_truncated
WATCH_EXPORT_TEXT = False  # export each document's full visible text (-a with_text=1)
WATCH_REPORT_DIR = ""  # folder for coverage.json/.html, seeds.csv, near_misses.json ("" = the first feed's folder, else results/)
WATCH_PROGRESS_INTERVAL = 10.0  # seconds between two progress lines in the log (0: none)

# Several processes, one crawl (spiders/shared.py): the main and helpers share it through Redis.
WATCH_REDIS_URL = ""  # redis://[:password@]host:port/db ("" = one process); the password may come from WATCH_REDIS_PASSWORD
WATCH_REDIS_LEASE = 30.0  # seconds a site stays held without renewal (a dead process loses its sites after it)
WATCH_REDIS_JOIN_WAIT = 60.0  # seconds a helper started first waits for the main run's crawl
WATCH_REDIS_RECONNECT_WAIT = 60.0  # seconds Redis may be unreachable before the crawl stops (exit status 1, no feeds)
WATCH_REDIS_SITES_AT_ONCE = 32  # sites one process holds at once, at most (fewer: an even split of the level's sites among the live processes)

# Search equations (pipelines/match.py); the spider writes -a query / -a queries_file here.
WATCH_QUERY = ""  # the search equation ("" = no equation: every document is exported)
WATCH_QUERIES_FILE = ""  # file of "name: equation" lines, evaluated together
WATCH_MATCH_SNIPPETS_PER_TERM = 2  # excerpts shown per matched term
WATCH_MATCH_SNIPPET_WIDTH = 160  # characters per excerpt
WATCH_MATCH_BATCH_SIZE = 256  # documents decided together at most (many equations are far faster per batch)
WATCH_MATCH_BATCH_QUIET = 0.05  # seconds without a new document before a batch is decided (the crawl never idles for it)
WATCH_MATCH_BATCH_DELAY = 0.5  # seconds a document waits at most for its batch

# Duplicates (DESIGN §5): one request per canonical URL, each document exported once.
REQUEST_FINGERPRINTER_CLASS = "spiders.dupefilter.CanonicalRequestFingerprinter"  # fingerprint = canonical URL (8 bytes)
DUPEFILTER_CLASS = "spiders.dupefilter.CompactDupeFilter"  # ~9 bytes per seen URL instead of ~90
WATCH_URLS_TRACKING_PARAMETERS = list(_urls.DEFAULT_TRACKING_PARAMETERS)  # query parameters dropped from canonical URLs ("prefix*" allowed)
WATCH_DEDUP_NEAR_DISTANCE = 3  # simhash bits within which two texts are near-duplicates (0-31)
WATCH_DEDUP_NEAR_DROP = False  # drop near-duplicates instead of marking them near_duplicate_of

# Monitoring over time (pipelines/changes.py); the spider writes -a state / -a changes here.
WATCH_STATE_PATH = ""  # SQLite monitoring state ("" = none: every run stands alone)
WATCH_STATE_CHANGES = "all"  # with a state: export all, only new, or new-or-changed documents

ITEM_PIPELINES = {
    "pipelines.match.QueryMatchPipeline": 300,  # keep documents that satisfy the equation
    "pipelines.published.PublishedDatePipeline": 400,  # then read the publication date of those kept
    "pipelines.dedup.DedupPipeline": 500,  # last: holds documents; at the end, changes then duplicates
}

# Pages built by scripts, in a browser (issue 8; spiders/render.py, spiders/browser.py, README "Rendering").
# One download handler for both schemes: Scrapy's own, with Chromium behind it (scrapy-playwright) when
# rendering is on; "never" never starts a browser, "auto" starts it for the first page that needs it.
DOWNLOAD_HANDLERS = {"http": "spiders.render.DownloadHandler", "https": "spiders.render.DownloadHandler"}
WATCH_RENDER = "auto"  # never | auto (plain first, script-built shells rendered again) | always (-a render=...)
WATCH_CHROMIUM_PATH = "/usr/lib/chromium/chromium"  # Debian's executable (its /usr/bin/chromium wrapper is a shell script)
WATCH_RENDER_TEXT_CHARS = 200  # less visible text than this, on a page that runs scripts, is a shell
WATCH_RENDER_HINTED_TEXT_CHARS = 1000  # with an empty app root or a <noscript> asking for JavaScript, less text is a shell
WATCH_RENDER_ROOT_TEXT_CHARS = 40  # an app root (#root, #app, #__next…) with less text than this is empty
WATCH_RENDER_INLINE_SCRIPT_CHARS = 1000  # inline code from this size on counts as running scripts (analytics snippets are smaller)
WATCH_RENDER_TEMPLATE_SHARE = 0.25  # share of the text in template expressions ({{ctrl.title}}) that makes a shell
WATCH_RENDER_SITE_SHELLS = 2  # shells rendered with gain after which a site's other pages go straight to the browser
WATCH_RENDER_MIN_ADDED_CHARS = 100  # a rendering adding less text than this added nothing: its site goes back to plain fetching
WATCH_RENDER_TIMEOUT = 20.0  # seconds for a page to load in the browser; beyond, the plain document is kept (watch/render/failed)
WATCH_RENDER_SETTLE_TIMEOUT = 2.0  # seconds after load to wait for the network to go quiet (text fetched by scripts)
WATCH_RENDER_CONCURRENCY = 4  # pages open in the browser at once (each costs tens of MB)
WATCH_RENDER_PAGES_PER_CONTEXT = 20  # pages rendered in one browser context before it is closed for a fresh one (long crawls leak)
WATCH_RENDER_BLOCKED_RESOURCES = ["image", "media", "font", "texttrack", "manifest", "eventsource", "websocket"]  # never downloaded by the browser: no text in them

# PDF documents (watch/pdf.py). A PDF obeys DOWNLOAD_MAXSIZE like any body: a larger one is not downloaded.
WATCH_PDF_MAX_PAGES = 100  # pages read, from the first; the document is marked truncated beyond
WATCH_PDF_MAX_CHARS = 1_000_000  # characters of text kept (about 300 pages)
WATCH_PDF_MAX_STREAM_BYTES = 16 * 1024 * 1024  # inflated size of any one stream (decompression bombs); beyond, its page is skipped
