"""When a page is read in a browser: what rendering added, and the per-site policy of render=auto."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.render import RenderPolicy, added_text


@pytest.mark.parametrize(
    ("plain", "rendered", "added"),
    [
        ("", "", 0),
        ("", "Le quorum", 8),
        ("Chargement…", "Le quorum est atteint", 18),
        ("{{ctrl.content.title}}", "Municipales 2026", 15),
        ("Le quorum est atteint", "atteint est quorum Le", 0),  # moved around: nothing added
        ("Le quorum est atteint. Cookies ?", "Le quorum est atteint.", 0),  # text removed: nothing added
        ("a b", "a b c c", 2),  # every new word counts each time it appears
    ],
)
def test_added_text(plain: str, rendered: str, added: int) -> None:
    assert added_text(plain, rendered) == added


@given(st.text(), st.text())
def test_added_text_laws(plain: str, rendered: str) -> None:
    assert added_text(plain, plain) == 0
    assert 0 <= added_text(plain, rendered) <= len(rendered)
    assert added_text("", rendered) == sum(len(word) for word in rendered.split())


def test_two_shells_rendered_with_gain_send_a_site_straight_to_the_browser() -> None:
    policy = RenderPolicy(shells_before_direct=2, min_added_chars=100)
    assert policy.rendered("a.test", shell=True, added=100) is None
    assert not policy.is_direct("a.test")
    assert policy.rendered("a.test", shell=True, added=5000) == "direct"
    assert policy.is_direct("a.test")
    assert not policy.is_direct("b.test")  # per site
    # Pages read straight in the browser that add text keep the site there.
    assert policy.rendered("a.test", shell=False, added=300) is None
    assert policy.is_direct("a.test")


def test_a_rendering_that_added_nothing_sends_the_site_back_to_plain_fetching() -> None:
    policy = RenderPolicy(shells_before_direct=2, min_added_chars=100)
    policy.rendered("a.test", shell=True, added=500)
    policy.rendered("a.test", shell=True, added=500)
    assert policy.rendered("a.test", shell=False, added=99) == "plain"
    assert not policy.is_direct("a.test")
    # Back to counting from zero: one more gain is not enough.
    assert policy.rendered("a.test", shell=True, added=500) is None
    assert not policy.is_direct("a.test")


def test_renderings_without_gain_never_send_a_site_to_the_browser() -> None:
    policy = RenderPolicy(shells_before_direct=2, min_added_chars=100)
    for _ in range(5):
        assert policy.rendered("quiet.test", shell=True, added=0) is None
    assert not policy.is_direct("quiet.test")
    # A gain between two that added nothing does not accumulate.
    policy.rendered("mixed.test", shell=True, added=500)
    policy.rendered("mixed.test", shell=True, added=0)
    assert policy.rendered("mixed.test", shell=True, added=500) is None


@pytest.mark.parametrize(("shells", "chars"), [(0, 100), (2, -1)])
def test_policy_rejects_bad_thresholds(shells: int, chars: int) -> None:
    with pytest.raises(ValueError, match="RenderPolicy"):
        RenderPolicy(shells, chars)
