"""Arguments and settings: every watch setting is checked at start-up, and its default passes."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

import settings.base
from spiders.arguments import ArgumentError, contact, number, setting_boolean
from spiders.config import check_configs

#: A list in which any name is a parameter name: nothing to check.
FREE_FORM = frozenset({"WATCH_URLS_TRACKING_PARAMETERS"})


def _project_settings(**changes: object) -> Settings:
    values = Settings()
    values.setmodule(settings.base, priority="project")
    values.setdict(changes, priority="cmdline")
    return values


class _Recording(Settings):
    """Settings that remember which names were read."""

    read: set[str]

    def __getitem__(self, name: str) -> object:
        self.__dict__.setdefault("read", set()).add(name)
        return super().__getitem__(name)


def test_every_watch_setting_is_read_by_a_config_at_start_up() -> None:
    recording = _Recording()
    recording.setmodule(settings.base, priority="project")
    check_configs(recording)  # every default passes its check
    names = {name for name in vars(settings.base) if name.startswith("WATCH_")}
    assert names - FREE_FORM - recording.read == set()


def check_settings(values: Settings) -> None:
    """What ``scrapy crawl`` checks before any request."""
    check_configs(values)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"WATCH_QUERY": "Quorum AND"}, "invalid setting WATCH_QUERY='Quorum AND': column 8: AND has no right operand"),
        ({"WATCH_TEXT_MAX_CHARS": "-1"}, "invalid setting WATCH_TEXT_MAX_CHARS='-1': expected a whole number >= 1"),
        ({"WATCH_EXPORT_TEXT": "yes"}, "invalid setting WATCH_EXPORT_TEXT='yes': expected 1 or 0 (also True/False, true/false)"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_it(setting: dict[str, str], message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        check_settings(_project_settings(**setting))
    assert str(info.value) == message


def test_an_equation_setting_keeps_its_caret() -> None:
    with pytest.raises(ArgumentError) as info:
        check_settings(_project_settings(WATCH_QUERY="Quorum AND"))
    assert info.value.detail == "Quorum AND\n       ^"


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("0", False), ("2", True), ("True", True), ("true", True), ("False", False), ("false", False)],
)
def test_setting_boolean_reads_what_scrapy_reads(text: str, value: bool) -> None:
    assert setting_boolean(text) is value
    assert _project_settings(WATCH_EXPORT_TEXT=text).getbool("WATCH_EXPORT_TEXT") is value


@pytest.mark.parametrize("text", ["yes", "on", "", "TRUE", "1.0"])
def test_setting_boolean_refuses_what_scrapy_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected 1 or 0"):
        setting_boolean(text)
    with pytest.raises(ValueError):
        _project_settings(WATCH_EXPORT_TEXT=text).getbool("WATCH_EXPORT_TEXT")


@pytest.mark.parametrize("text", ["abc", "-1", "nan", ""])
def test_number_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a number >= 0"):
        number(0)(text)


@pytest.mark.parametrize("text", ["x y", "mailto:", "mailto:a b@c", "ftp://a.test/", "veille@example.org"])
def test_contact_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected mailto:ADDRESS or an http"):
        contact(text)
