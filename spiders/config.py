"""Settings read once and checked once: each component's frozen config (CONVENTIONS, "Settings").

A component reads its ``WATCH_*`` settings through one frozen dataclass built by
``from_settings(settings)`` (the shape of scrapy-playwright's ``Config``), with :func:`read`, which
turns a bad value into one line naming the setting, the value and what was expected
(:class:`SettingError`). Defaults live only in ``settings/base.py``. Before the crawl starts,
``scrapy crawl`` builds every config of :data:`CONFIGS` from the run's settings (the ``-s`` values
and the spider arguments written over them): a bad value stops the run there, before any
request, with that one line — the same check the component makes when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.utils.misc import load_object

from spiders.arguments import ArgumentError, whole_number
from watch.urls import TrackingParameters

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.settings import BaseSettings

T = TypeVar("T")

__all__ = ["CONFIGS", "SettingError", "check_configs", "read", "seconds", "tracking_parameters", "whole_number"]

#: Every component config the start-up check builds, by dotted path: a config class (its
#: ``from_settings``) or a function of the settings (components import Scrapy parts the check
#: need not load until then).
CONFIGS = (
    "spiders.base.SpiderConfig",
    "spiders.expertblogs.ExpertBlogsConfig",
    "spiders.evidence.EvidenceConfig",
    "spiders.scope.ScopeConfig",
    "spiders.robots.CrawlDelayConfig",
    "spiders.render.RenderConfig",
    "spiders.pdf.pdf_limits",
    "spiders.shared.RedisConfig",
    "pipelines.match.MatchConfig",
    "pipelines.dedup.DedupConfig",
    "pipelines.changes.ChangesConfig",
)


class SettingError(ArgumentError):
    """A setting whose value cannot be used: ``str()`` is the one line for the user."""


def read(settings: BaseSettings, name: str, parse: Callable[[str], T]) -> T:
    """The value of setting ``name``, parsed by ``parse`` (which raises ``ValueError`` with what
    it expected); a bad value raises :class:`SettingError` naming the setting and the value.

    >>> from scrapy.settings import Settings
    >>> read(Settings({"WATCH_X": 3}), "WATCH_X", whole_number(1))
    3
    >>> read(Settings({"WATCH_X": "three"}), "WATCH_X", whole_number(1))
    Traceback (most recent call last):
    ...
    spiders.config.SettingError: invalid setting WATCH_X='three': expected a whole number >= 1
    """
    value = settings.get(name)
    text = "" if value is None else str(value)
    try:
        return parse(text)
    except ArgumentError as exc:
        raise SettingError(f"invalid setting {name}={value!r}: {exc}", exc.detail) from None
    except ValueError as exc:
        raise SettingError(f"invalid setting {name}={value!r}: {exc}") from None


def seconds(text: str) -> float:
    """A duration in seconds, zero or more.

    >>> seconds("0.5"), seconds("10")
    (0.5, 10.0)
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number of seconds >= 0") from None
    if not value >= 0:  # also refuses nan
        raise ValueError("expected a number of seconds >= 0")
    return value


def tracking_parameters(settings: BaseSettings) -> TrackingParameters:
    """``WATCH_URLS_TRACKING_PARAMETERS``: the query parameters (names and ``prefix*`` patterns)
    that every component drops from a URL before comparing it with others.

    >>> from scrapy.settings import Settings
    >>> tracking = tracking_parameters(Settings({"WATCH_URLS_TRACKING_PARAMETERS": ["ref", "mc_*"]}))
    >>> tracking.matches("ref"), tracking.matches("mc_cid"), tracking.matches("utm_source")
    (True, True, False)
    """
    return TrackingParameters(settings.getlist("WATCH_URLS_TRACKING_PARAMETERS"))


def check_configs(settings: BaseSettings) -> None:
    """Build every component's config from ``settings``; raise :class:`SettingError` on the first
    bad value (see the module docstring)."""
    for path in CONFIGS:
        config: Any = load_object(path)
        build = getattr(config, "from_settings", config)
        try:
            build(settings)
        except ArgumentError:
            raise
        except ValueError as exc:  # a config that checks a combination of its settings
            raise SettingError(str(exc)) from None
