"""``fdconf integration``: certify a partner's integration in the sandbox (CONTRACT §7)."""

from __future__ import annotations

import sys

import click


@click.group("integration")
def integration() -> None:
    """Certify a partner integration: the reference as a recording sandbox, INT rules on its traffic."""


FAULTS_HELP = (
    "Sandbox conditions, comma list (default all on): tokens=SECONDS (access-token life, 60), "
    "budgets (600 reads/120 writes per partner, 10 sign-ins+refreshes per window), bursts (a 429 and "
    "a 503 among the first 15 authenticated requests), transient=P (503 rate after them, 0.02), refresh "
    "(clusters refreshed after the first read), window=SECONDS (budget window, 60); "
    "-NAME switches one off; none."
)


@integration.command("run", context_settings={"ignore_unknown_options": True})
@click.option("--faults", metavar="LIST", help=FAULTS_HELP)
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds COMMAND may run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sandbox faults.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False),
    help="Reports folder (default reports/integration-<time>).",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def run_cmd(
    faults: str | None, timeout: float, seed: int, report_dir: str | None, command: tuple[str, ...]
) -> None:
    """Start the sandbox, run COMMAND with FD_BASE_URL, CR_BASE, FD_USERNAME, FD_PASSWORD, FD_PARTNER_ID,
    then judge its traffic. Exit 0: no rule failed; 1: findings; 2: usage or sandbox error."""
    from conformance.integration.runner import run

    sys.exit(
        run(list(command), faults=faults, timeout=timeout, seed=seed, report_dir=report_dir, echo=click.echo)
    )


@integration.command("serve")
@click.option("--faults", metavar="LIST", help=FAULTS_HELP)
@click.option("--duration", type=float, help="Stop recording after this many seconds (default: Ctrl-C).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sandbox faults.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False),
    help="Reports folder (default reports/integration-<time>).",
)
def serve_cmd(faults: str | None, duration: float | None, seed: int, report_dir: str | None) -> None:
    """Serve the sandbox for a manual session: print the variables, record, then judge."""
    from conformance.integration.runner import serve

    sys.exit(serve(faults=faults, duration=duration, seed=seed, report_dir=report_dir, echo=click.echo))


@integration.command("judge")
@click.argument("directory", type=click.Path(exists=False))
@click.option("--out", type=click.Path(file_okay=False), help="Write the reports here (default: DIRECTORY).")
def judge_cmd(directory: str, out: str | None) -> None:
    """Re-judge a saved recording (the report folder of an integration run)."""
    from conformance.integration.runner import judge_saved

    sys.exit(judge_saved(directory, out, click.echo))
