"""The offline demo of watch: a small French web of expert blogs, crawled by ``python -m demo``.

:mod:`demo.web` builds the web (about thirty ``.test`` sites over six levels, with planted
mentions of the seed equation's terms, traps and near misses); :mod:`demo.__main__` serves it on
127.0.0.1, runs the real ``scrapy crawl expertblogs`` against it and prints what was found.
"""
