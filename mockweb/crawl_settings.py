"""The settings every crawl of a local mock web passes with ``-s``, in one place.

watch is polite by default (AutoThrottle, robots.txt ``Crawl-delay``): right for the open web,
pointless against an in-memory server on 127.0.0.1, where it would only make tests, the demo and
the benchmarks slow. They switch it off explicitly, with these values, so that what they run is
the user's command plus visible ``-s`` flags.
"""

from __future__ import annotations

#: Politeness off: the server is ours and answers from memory.
LOCAL_WEB_SETTINGS: dict[str, str] = {
    "AUTOTHROTTLE_ENABLED": "0",
    "WATCH_ROBOTS_CRAWL_DELAY": "0",
}


def settings_args(settings: dict[str, str] | None = None) -> list[str]:
    """``-s NAME=VALUE`` arguments for :data:`LOCAL_WEB_SETTINGS` (or ``settings``).

    >>> settings_args({"AUTOTHROTTLE_ENABLED": "0"})
    ['-s', 'AUTOTHROTTLE_ENABLED=0']
    """
    chosen = LOCAL_WEB_SETTINGS if settings is None else settings
    return [argument for name, value in chosen.items() for argument in ("-s", f"{name}={value}")]
