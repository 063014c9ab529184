"""Fixtures shared by the whole test suite: the embedded reference stack.

``reference_stack`` is one clean stack (no defects) for the session. It is shared and mutable, so
tests that write (setup processes, boosts, CR saves) should start their own stack with
``start_stack()`` rather than change data other tests read. ``start_stack(defects)`` starts a
stack with the named defects switched on and stops it when the test ends. Imports of the
reference happen inside the fixtures so collecting tests stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.reference.stack import ReferenceStack


@pytest.fixture(scope="session")
def reference_stack() -> Iterator[ReferenceStack]:
    """A clean reference stack (moto Cognito + SQLite + both hosts) for the whole session."""
    from conformance.reference.stack import ReferenceStack

    with ReferenceStack() as stack:
        yield stack


@pytest.fixture
def start_stack() -> Iterator[Callable[..., ReferenceStack]]:
    """Factory: ``start_stack(["ten-list-leak-page2"])`` → a running stack, stopped at teardown."""
    from conformance.reference.stack import ReferenceStack

    started: list[ReferenceStack] = []

    def start(defects: Sequence[str] = (), dataset: Path | None = None, **kwargs: Any) -> ReferenceStack:
        stack = ReferenceStack(defects=defects, dataset=dataset, **kwargs).start()
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.stop()
