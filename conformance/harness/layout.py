"""The target's layout: which hosts a run can probe, and what is unusual about the configured bases.

A deployment need not look like the reference. The CR host is optional (``target.cr``: "ask your
account contact"), and a ``main`` that does not end in ``/v3`` (a gateway, a partner proxy under
another prefix) gives no unversioned media base to derive. Neither stops a run: the parts of a rule
that need the missing host are recorded *unexercised* with :data:`NO_CR` / :data:`NO_MEDIA` as the
reason, so the rule is partial (or not run) and the run is not CERTIFIED, but everything else is
judged. Pure functions of the settings (specs/README.md, "Targets shaped differently").
"""

from __future__ import annotations

from conformance.config import Settings

NO_CR = "no CR host configured (target.cr)"
NO_MEDIA = "no media base: target.main does not end in /v3 and target.media is not set"


def main_is_versioned(main: str | None) -> bool:
    """Whether ``main`` ends in ``/v3`` (the documented layout ``{host}/api/v3``)."""
    return bool(main) and str(main).rstrip("/").endswith("/v3")


def absent_hosts(settings: Settings) -> dict[str, str]:
    """Host (``cr``, ``media``) → why this run cannot send to it; hosts it can reach are left out."""
    out: dict[str, str] = {}
    if settings.main and not settings.cr:
        out["cr"] = NO_CR
    if settings.main and not settings.media:
        out["media"] = NO_MEDIA
    return out


def layout_warnings(settings: Settings) -> list[str]:
    """One line per unusual part of the layout (shown on the console and kept in results.json)."""
    if settings.embedded or not settings.main or main_is_versioned(settings.main):
        return []
    media = (f"media checks use target.media ({settings.media})" if settings.media
             else "the media checks are unexercised (set target.media to run them)")
    return [f"target.main {settings.main} does not end in /v3 (the documented base is "
            f"https://host/api/v3): {media}"]
