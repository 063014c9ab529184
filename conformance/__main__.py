"""``python -m conformance``: the ``fdconf`` command line (same as the console script)."""

from conformance.cli import main

if __name__ == "__main__":
    main()
