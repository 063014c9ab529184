"""Fuzz fixtures: hand the run's sessions to the Schemathesis checks and keep the collection config."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.checks import st_hooks
from conformance.fuzz import runtime


def pytest_configure(config: pytest.Config) -> None:
    runtime.CONFIG = config
    # Hypothesis keeps caches (parsed constants of every module, examples) in ./.hypothesis by default:
    # a run writes only where the user chose, so they go to a private folder removed with the session.
    home = tempfile.mkdtemp(prefix="fdconf-hypothesis-")
    set_hypothesis_home_dir(home)
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    config.add_cleanup(lambda: set_hypothesis_home_dir(None))


@pytest.fixture(scope="session")
def fuzz_context(fd_sessions: Any, fd_transport: Any, fd_settings: Any) -> Iterator[st_hooks.FuzzContext]:
    """The st_hooks context for this run: personas with their partners, GET replays over our Transport."""
    from conformance.checks import DEFAULT_TEMPLATE, CidTemplate

    personas = {}
    for name, session in fd_sessions.items():
        try:
            partners = tuple(session.partners)
        except Exception:  # a persona that cannot sign in only loses its replays
            continue
        personas[name] = st_hooks.Persona(session.access_token, partners)
    context = st_hooks.FuzzContext(
        personas=personas,
        send=st_hooks.transport_sender(fd_transport),
        template=CidTemplate(getattr(fd_settings, "cid_template", None) or DEFAULT_TEMPLATE),
    )
    st_hooks.configure(context)
    yield context
    st_hooks.configure(None)


@pytest.fixture(scope="session")
def fuzz_partner_product(fd_api: Any) -> str | None:
    """One of the primary partner's registered products (CR saves name one), if the target tells."""
    from conformance.scenarios.sandbox import partner_product

    return partner_product(fd_api("primary", "main"))
