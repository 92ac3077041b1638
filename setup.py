"""Packaging for Scrapyd: an egg holding the Scrapy project (never the tests, demo or benchmarks)."""

from setuptools import setup

setup(
    name="watch",
    version="0.2.0",
    description="Web monitoring (veille) crawler: levels of sites x pages per site, search equations",
    packages=["watch", "watch.query", "spiders", "spiders.commands", "pipelines", "settings"],
    entry_points={"scrapy": ["settings = settings"]},
    python_requires=">=3.11",
    zip_safe=False,
)
