"""Scrapy item pipelines: thin adapters that hand each document to the core in ``watch/``."""
