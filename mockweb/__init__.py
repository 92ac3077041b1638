"""A local mock web for tests, the demo and benchmarks: many fake ``.test`` sites behind one proxy.

:class:`MockWeb` serves a table of :class:`Resource` from memory; :mod:`mockweb.html` writes
realistic pages for it quickly.
"""

from __future__ import annotations

from mockweb.server import MockWeb, RecordedRequest, Resource, Stream

__all__ = ["MockWeb", "RecordedRequest", "Resource", "Stream"]
