"""``python -m conformance.reference.child [DEFECT ...]``: the reference in a process of its own.

An embedded run starts the reference this way so that the server does not share an interpreter lock
with the suite that fuzzes it (on 2 cores a full run takes about a third less time). The child starts
the stack, writes one JSON line to stdout (URLs and personas, or ``{"error": ...}``), then
serves until its stdin closes (the parent stopped it, or died) or SIGTERM/SIGINT arrives, and stops
cleanly. The line carries the personas' passwords: they are the fixture's, and travel only over a pipe.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from conformance.reference.stack import ReferenceStack


def _describe(stack: ReferenceStack) -> dict[str, object]:
    return {
        "main": stack.main_base,
        "cr": stack.cr_base,
        "media": stack.media_base,
        "personas": stack.personas,
    }


def main(argv: Sequence[str] | None = None) -> int:
    defects = list(sys.argv[1:] if argv is None else argv)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack = ReferenceStack(defects=defects).start()
    except Exception as exc:  # reported to the parent, which turns it into a one-line error
        sys.stdout.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        sys.stdout.flush()
        return 1
    try:
        sys.stdout.write(json.dumps(_describe(stack)) + "\n")
        sys.stdout.flush()

        def watch_parent() -> None:
            sys.stdin.read()  # returns at EOF: the parent closed the pipe or is gone
            done.set()

        threading.Thread(target=watch_parent, name="fdref-parent-watch", daemon=True).start()
        while not done.wait(0.5):
            pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
