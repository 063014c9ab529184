"""``fdconf serve``: run the reference stack in the foreground until Ctrl-C.

Prints the base URLs and the personas' credentials (this is a local development server on loopback;
the passwords are the fixture's, not secrets of any real system), optionally writes an
``fdconf.toml`` pointing at the running stack. ``limits`` (:func:`conformance.reference.limits.limits`)
makes it behave like a deployment: a rate budget, latency per answer.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from conformance.reference.stack import ReferenceStack


def describe(stack: ReferenceStack, out: TextIO) -> None:
    """The banner: URLs, personas, defects."""
    out.write("Future Demand Client API reference (fd-conformance)\n")
    out.write(f"  main   {stack.main_base}\n  media  {stack.media_base}\n  cr     {stack.cr_base}\n")
    out.write(f"  cognito emulator {stack.cognito_endpoint} (started in {stack.startup_seconds:.2f} s)\n")
    out.write("personas (username / password / partners):\n")
    for name, persona in stack.personas.items():
        partners = ", ".join(persona["partners"]) or "(no partner)"
        out.write(f"  {name:<10} {persona['username']:<24} {persona['password']:<18} {partners}\n")
    if stack.limits is not None:
        c = stack.limits
        if c.budgets:
            out.write(f"rate limit: reads {c.reads_per_window}, writes {c.writes_per_window} per partner, "
                      f"sign-ins {c.auth_per_window} per {c.window:g} s (429 without Retry-After)\n")
        if c.latency:
            out.write(f"latency: {c.latency * 1000:g} ms per answer\n")
    if stack.defects:
        table = stack.available_defects()
        out.write("defects ON:\n")
        for name in stack.defects:
            out.write(f"  {name} [{table[name][0]}] {table[name][1]}\n")
    out.write("Ctrl-C stops the stack.\n")
    out.flush()


def serve(
    port_main: int = 0,
    port_cr: int = 0,
    defects: Sequence[str] = (),
    write_config: Path | None = None,
    *,
    limits: Any = None,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
) -> None:
    """Start the stack, print how to reach it, block until Ctrl-C (or ``stop_event``), stop cleanly."""
    stream = out or sys.stdout
    done = stop_event or threading.Event()
    stack = ReferenceStack(defects=defects, port_main=port_main, port_cr=port_cr, limits=limits).start()
    previous = None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    try:
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
        if write_config is not None:
            stack.write_config(write_config)
        describe(stack, stream)
        if write_config is not None:
            stream.write(f"wrote {write_config} (use: fdconf run --config {write_config})\n")
            stream.flush()
        while not done.wait(0.2):
            pass
    finally:
        stack.stop()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stream.write("reference stack stopped\n")
        stream.flush()
