"""Scrapy adapters of watch: the spiders (one module per source kind) and the crawl's middlewares."""
