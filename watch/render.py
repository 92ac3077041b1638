"""When a page is read in a browser: the render modes and the per-site policy of ``render=auto``.

A browser costs about a second and hundreds of megabytes a page; plain fetching costs
milliseconds. ``render=auto`` therefore fetches every page plainly first and renders again only
the pages whose plain HTML looks script-built (:mod:`watch.shell`). Sites are consistent: a site
built with a script framework serves shells on every page, so after a few pages whose rendering
added text, fetching its other pages plainly first is a wasted request each; and a site whose
rendering added nothing does not need a browser at all. :class:`RenderPolicy` keeps that
decision per site:

* a site starts **plain**: its pages are fetched plainly; a shell is rendered again, the page
  keeping its slot of the site's budget;
* once ``shells_before_direct`` shells of a site were rendered *with gain* (their rendered text
  added at least ``min_added_chars`` characters, :func:`added_text`), the site goes **direct**:
  its next pages go straight to the browser;
* a rendering that added less than that sends the site back to **plain** (and its count of
  gains back to zero): rendering was a cost for nothing there.

The policy is plain data, decided from what pages were read in which order, with no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: ``never``: no browser is ever started; ``auto``: plain first, shells rendered again;
#: ``always``: every page is read in the browser.
RenderMode = Literal["never", "auto", "always"]
RENDER_MODES: tuple[RenderMode, ...] = ("never", "auto", "always")


def added_text(plain: str, rendered: str) -> int:
    """How much text rendering added: the characters of the rendered text's words that the plain
    text does not have.

    Counting words rather than comparing lengths tells a page whose templates were filled in
    (``{{ctrl.title}}`` became a title) from one that only moved its text around, and does not
    let text that a script removed (a "Loading…" notice) hide text that it added.

    >>> added_text("Loading…", "Le quorum est atteint.")
    19
    >>> added_text("Le quorum est atteint.", "Le quorum est atteint. Le")
    0
    """
    known = set(plain.split())
    return sum(len(word) for word in rendered.split() if word not in known)


@dataclass
class _Site:
    direct: bool = False
    gains: int = 0  # shells rendered with gain since the site last went plain


@dataclass
class RenderPolicy:
    """Which sites go straight to the browser under ``render=auto`` (see the module docstring).

    >>> policy = RenderPolicy(shells_before_direct=2, min_added_chars=100)
    >>> policy.rendered("a.test", shell=True, added=500), policy.is_direct("a.test")
    (None, False)
    >>> policy.rendered("a.test", shell=True, added=800)
    'direct'
    >>> policy.rendered("a.test", shell=False, added=0), policy.is_direct("a.test")
    ('plain', False)
    """

    shells_before_direct: int = 2
    min_added_chars: int = 100
    _sites: dict[str, _Site] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.shells_before_direct < 1 or self.min_added_chars < 0:
            raise ValueError(
                "RenderPolicy: shells_before_direct must be at least 1 and min_added_chars not negative, got "
                f"{self.shells_before_direct!r} and {self.min_added_chars!r}"
            )

    def is_direct(self, site: str) -> bool:
        """Whether the pages of ``site`` go straight to the browser now."""
        known = self._sites.get(site)
        return known is not None and known.direct

    def rendered(self, site: str, *, shell: bool, added: int) -> Literal["direct", "plain"] | None:
        """Record a page of ``site`` read in the browser: ``shell`` when its plain HTML looked
        script-built, ``added`` as :func:`added_text` measured it. Return ``"direct"`` or
        ``"plain"`` when the site changes policy, else ``None``."""
        state = self._sites.setdefault(site, _Site())
        if added < self.min_added_chars:
            state.gains = 0
            if state.direct:
                state.direct = False
                return "plain"
            return None
        if shell and not state.direct:
            state.gains += 1
            if state.gains >= self.shells_before_direct:
                state.direct = True
                return "direct"
        return None
