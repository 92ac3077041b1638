"""Scrapy settings package of watch: ``base`` holds every default; profiles import and adjust it."""

from settings.base import *  # noqa: F403
