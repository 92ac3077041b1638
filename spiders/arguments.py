"""Spider arguments (``-a name=value``): declared once, validated before any request.

Each spider declares the arguments it accepts; :func:`parse_arguments` checks them all when the
crawl is built and turns a bad value into one line that names the argument, the value and what
was expected. Arguments that configure a component are written to that component's setting, so
components read their configuration in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watch.seeds import read_seeds_file
from watch.urls import is_crawlable

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from scrapy.settings import BaseSettings

    from watch.query import QuerySyntaxError


class ArgumentError(ValueError):
    """A spider argument that cannot be used. ``str()`` is the one-line message; ``detail``
    holds optional context lines (the equation and a caret under the faulty column)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Argument:
    """One ``-a`` argument: how to read its text, and the setting it configures (if any)."""

    parse: Callable[[str], Any]
    help: str
    setting: str | None = None


def parse_arguments(spec: Mapping[str, Argument], given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` against ``spec``; return the parsed values by name.

    Names starting with ``_`` are Scrapyd's own (``_job``, ``_version``) and pass through as is.
    """
    parsed: dict[str, Any] = {}
    for name, raw in given.items():
        if name.startswith("_"):
            parsed[name] = raw
            continue
        argument = spec.get(name)
        if argument is None:
            known = ", ".join(sorted(spec))
            # The line names the problem; the arguments and what each is for follow it.
            usage = "\n".join(f"  {known_name}: {spec[known_name].help}" for known_name in sorted(spec))
            raise ArgumentError(f"unknown argument {name}={raw!r}: expected one of {known}", usage)
        try:
            parsed[name] = argument.parse(str(raw))
        except ArgumentError as exc:
            raise ArgumentError(f"invalid argument {name}={raw!r}: {exc}", exc.detail) from None
        except ValueError as exc:
            raise ArgumentError(f"invalid argument {name}={raw!r}: {exc}") from None
    return parsed


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A parser for whole numbers of at least ``minimum`` (and at most ``maximum``)."""
    expected = f"a whole number >= {minimum}" if maximum is None else f"a whole number from {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"expected {expected}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(f"expected {expected}")
        return value

    return parse


def boolean(text: str) -> bool:
    """``1/0``, ``true/false``, ``yes/no``, ``on/off``, in any letter case."""
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected 1 or 0 (also true/false, yes/no)")


def setting_boolean(text: str) -> bool:
    """A boolean setting as Scrapy's ``getbool`` reads it: a whole number (0 is false), ``True``,
    ``true``, ``False`` or ``false``.

    >>> setting_boolean("1"), setting_boolean("False"), setting_boolean("true")
    (True, False, True)
    """
    try:
        return bool(int(text))
    except ValueError:
        if text in {"True", "true", "False", "false"}:
            return text.lower() == "true"
    raise ValueError("expected 1 or 0 (also True/False, true/false)")


def number(minimum: float) -> Callable[[str], float]:
    """A parser for numbers (decimals allowed) of at least ``minimum``."""

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"expected a number >= {minimum:g}") from None
        if not value >= minimum:  # NaN too
            raise ValueError(f"expected a number >= {minimum:g}")
        return value

    return parse


def optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser that takes the empty text (a setting's "none") as it is, and anything else as
    ``parse`` does.

    >>> optional(http_url)(""), optional(http_url)("https://a.test/")
    ('', 'https://a.test/')
    """

    def parse_optional(text: str) -> Any:
        return text if not text.strip() else parse(text)

    return parse_optional


def choice(*options: str) -> Callable[[str], str]:
    """A parser that accepts one of ``options`` (case-insensitive)."""

    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


def http_url(text: str) -> str:
    """An absolute ``http`` or ``https`` URL."""
    url = text.strip()
    if not is_crawlable(url):
        raise ValueError("expected an absolute http:// or https:// URL")
    return url


def url_list(text: str) -> list[str]:
    """http(s) URLs separated by commas or spaces, at least one."""
    urls = text.replace(",", " ").split()
    if not urls:
        raise ValueError("expected one or more http(s) URLs separated by commas or spaces")
    for url in urls:
        if not is_crawlable(url):
            raise ValueError(f"{url!r} is not an absolute http:// or https:// URL")
    return urls


def crawl_name(text: str) -> str:
    """A name for a shared crawl: letters, digits, ``.``, ``_`` and ``-``, 64 at most.

    >>> crawl_name("veille-2026.w49")
    'veille-2026.w49'
    """
    name = text.strip()
    if not 0 < len(name) <= 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in name):
        raise ValueError("expected a name of letters, digits, '.', '_' and '-' (64 at most)")
    return name


def existing_file(text: str) -> Path:
    """A path to a readable file."""
    path = Path(text.strip()).expanduser()
    if not path.is_file():
        raise ValueError("expected the path of an existing file")
    return path


def seed_list_file(text: str) -> Path:
    """A seed file (see :func:`watch.seeds.read_seeds_file`) listing at least one http(s) URL."""
    path = existing_file(text)
    if not read_seeds_file(path):
        raise ValueError("expected a file listing at least one seed URL")
    return path


def folder(text: str) -> Path:
    """A folder path: an existing folder, or a path where one can be made (nothing is there)."""
    path = Path(text.strip()).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError("expected a folder (this is a file)")
    return path


def contact(text: str) -> str:
    """How a site owner reaches the crawl's operator: a ``mailto:`` address or an http(s) URL.

    >>> contact("mailto:veille@example.org"), contact("https://example.org/bot")
    ('mailto:veille@example.org', 'https://example.org/bot')
    """
    value = text.strip()
    if (value.startswith("mailto:") and "@" in value and not any(c.isspace() for c in value)) or is_crawlable(value):
        return value
    raise ValueError("expected mailto:ADDRESS or an http(s) URL")


def new_or_existing_file(text: str) -> Path:
    """A file path whose folder exists (the file itself may not exist yet)."""
    path = Path(text.strip()).expanduser()
    if not text.strip() or path.is_dir():
        raise ValueError("expected a file path")
    if not path.parent.is_dir():
        raise ValueError(f"expected a file path in an existing folder ({path.parent} does not exist)")
    return path


def state_file(text: str) -> Path:
    """A monitoring state file (SQLite, created when absent) that no other run is using."""
    from watch.state import StateError, check_available

    path = new_or_existing_file(text)
    try:
        check_available(path)
    except StateError as exc:
        raise ValueError(str(exc)) from None
    return path


def equation(text: str) -> str:
    """A search equation that compiles (see :mod:`watch.query`)."""
    from watch.query import QuerySyntaxError, compile_query

    try:
        compile_query(text)
    except QuerySyntaxError as exc:
        raise ArgumentError(str(exc), _pointer(exc)) from None
    return text


def equations_file(text: str) -> Path:
    """A file of ``name: equation`` lines that all compile."""
    from watch.query import QuerySet, QuerySyntaxError

    path = existing_file(text)
    try:
        QuerySet.from_file(path)
    except QuerySyntaxError as exc:
        raise ArgumentError(str(exc), _pointer(exc)) from None
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror or exc}): expected a UTF-8 file of 'name: equation' lines") from None
    return path


def _pointer(error: QuerySyntaxError) -> str:
    """The equation and a caret under the faulty column (the message is already on the first line)."""
    return error.display().rsplit("\n", 1)[0]


def css_selector(text: str) -> str:
    """A CSS selector that lxml understands."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(text)
    except SelectorError as exc:
        raise ValueError(f"expected a CSS selector ({exc})") from None
    return text


def dotted_path(text: str) -> str:
    """The dotted path of an importable object (a component a setting swaps in)."""
    from scrapy.utils.misc import load_object

    try:
        load_object(text)
    except (ImportError, NameError, ValueError, AttributeError) as exc:
        raise ValueError(f"expected the dotted path of an importable object ({exc})") from None
    return text


def check_settings(settings: BaseSettings, arguments: Mapping[str, Any] | None = None) -> None:
    """Check what no single component's config can: the combinations of settings and arguments;
    raise :class:`ArgumentError`. (Each setting's value is checked by the config of the component
    that reads it: :func:`spiders.config.check_configs`.)

    Pause and resume (``JOBDIR``) is refused: the crawl scope (levels, per-site budgets) is not in
    Scrapy's job directory; a crawl resumes through Redis (``WATCH_REDIS_URL``) instead.
    ``render=always`` is refused when no browser can be driven
    (:func:`watch.chromium.browser_problem`): every page would be lost.
    """
    from spiders.render import RenderConfig
    from watch.chromium import browser_problem

    try:
        render = RenderConfig.from_settings(settings)
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None
    mode = (arguments or {}).get("render", render.mode)
    if mode == "always":
        problem = browser_problem(render.chromium_path)
        if problem is not None:
            raise ArgumentError(f"render=always needs a browser: {problem}")
    if settings.get("JOBDIR"):
        raise ArgumentError(
            f"JOBDIR={settings.get('JOBDIR')!r} is not supported: the crawl scope (levels of sites, "
            "pages per site) is not kept in Scrapy's job directory; to resume a crawl after a crash, run"
            " it with a Redis (-s WATCH_REDIS_URL=redis://127.0.0.1:6379/0) and rerun the same command"
        )
