"""``fdconf``: certify a deployment (``run``), serve the reference (``serve``), compare/merge/render runs.

Thin by design: options are parsed here, the work happens in :mod:`conformance.engine`, the reference
and the report layer. Every :class:`~conformance.errors.UsageError` becomes one line on stderr and
exit code 2 — never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from conformance import __version__
from conformance.config import MODES
from conformance.errors import UsageError

EXIT_USAGE = 2


def _output_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: an output folder is checked while the command line is parsed, before any work."""
    if value is not None:
        from conformance.report import check_output_dir

        check_output_dir(value, _flag(param))
    return value


def _output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: an output file is checked while the command line is parsed, before any work."""
    if value is not None:
        from conformance.report import check_output_file

        check_output_file(value, _flag(param))
    return value


def _flag(param: click.Parameter) -> str:
    names = [n for n in getattr(param, "opts", []) if n.startswith("--")]
    return names[0] if names else str(param.name)


def _count_or_auto(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | str | None:
    return int(value) if value and value.isdigit() else value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fdconf")
def cli() -> None:
    """fd-conformance: certify a Future Demand Client API deployment against its contract."""


@cli.command()
@click.option("--config", type=click.Path(dir_okay=False), help="fdconf.toml (default ./fdconf.toml or "
              "[tool.fdconf] in ./pyproject.toml; $FDCONF_CONFIG).")
@click.option("--main", metavar="URL", help="Main API base, e.g. https://host/api/v3 (FD_BASE_URL).")
@click.option("--cr", metavar="URL", help="CR API base, e.g. https://cr-host/api (CR_BASE).")
@click.option("--media", metavar="URL",
              help="Unversioned main base for POST /media (default: main without /v3).")
@click.option("--mode", type=click.Choice(MODES), help="read-only (default against a target), write "
              "(sandbox event), publish (boost). The embedded reference defaults to publish.")
@click.option("--defect", "defects", multiple=True, metavar="NAME",
              help="Switch a defect on in the embedded reference (repeatable; no target allowed).")
@click.option("--rules", metavar="IDS", help="Only these rule ids or families, e.g. TEN,OBJ-01.")
@click.option("--seed", type=int, help="Seed for discovery and fuzzing (printed in every run).")
@click.option("--max-examples", type=int, metavar="N",
              help="Budget of Schemathesis' fuzzing phase: at most N generated cases per operation (and N "
              "per stateful scenario); default 25. It does not bound the examples phase (each documented "
              "example once) nor the coverage phase (its fixed boundary and negative cases, about 55 per "
              "operation on the bundled specs), so a run sends more cases than N x operations.")
@click.option("--timeout", type=float, help="Timeout of every request, in seconds.")
@click.option("--deadline", metavar="DURATION",
              help="How long the whole run may take, e.g. 15m, 90s, 1h30m (a bare number is seconds). When "
              "it passes, the run stops like Ctrl-C: reports are written, the verdict is INCOMPLETE, exit 1.")
@click.option("--budget", metavar="DURATION",
              help="How long the run should take, e.g. 10m: the fuzzing (cases per operation, edge cases, "
              "stateful steps) is scaled so the whole run fits at the rate budget, the rules first. A budget "
              "the rules alone cannot fit is refused before the first request (exit 2).")
@click.option("--abandon-after", type=int, metavar="N",
              help="Stop sending to an operation after N timeouts in a row (what it was to judge is not "
              "run: \"timed out N times\"); default 3, 0 = never.")
@click.option("--confirm", type=int, metavar="N",
              help="Replay a failing probe or fuzz case up to N more times before it counts; one that does "
              "not fail again is reported flaky and does not fail the gate (unless --strict); default 2, "
              "0 = no replay.")
@click.option("--retry-wait", type=float, metavar="SECONDS",
              help="How long pre-flight and discovery keep retrying (with backoff) while the target answers "
              "502/503/504 or refuses connections, and how long a target that answered may refuse "
              "connections mid-run before the run ends (exit 2); default 60, 0 = give up at once.")
@click.option("--rate", metavar="FIGURES", help="The suite's own rate budget, requests per minute: "
              "reads=600,writes=120,auth=10 (reads and writes per partner, sign-ins plus refreshes; figures "
              "left out keep the kit's) or off. Default: the kit's figures; unlimited on the embedded "
              "reference.")
@click.option("--rate-backoff", type=float, metavar="SECONDS",
              help="Base wait after a 429 (doubled once, 30%% jitter, at most 5 attempts); default 5.")
@click.option("--report-dir", type=click.Path(), callback=_output_dir,
              help="Reports folder (default reports/<run-id>); the suite's own files of an earlier run "
              "in it are removed when the run starts.")
@click.option("--no-fuzz", is_flag=True, default=None, help="Skip Schemathesis fuzzing (SCH rules not run).")
@click.option("-n", "--workers", type=int, help="Run in N worker processes (pytest-xdist).")
@click.option("--concurrency", metavar="N|auto", callback=_count_or_auto,
              help="Requests in flight at once, to hide a far target's latency: N worker processes (each "
              "keeping to its share of the rate budget) unless --workers is given. Default auto: 1 against "
              "the embedded reference, a loopback URL or a target answering in under 20 ms, else what "
              "fills the rate budget at the measured round trip (at most 8).")
@click.option("--shard", metavar="I/N", help="Run shard I of N (stable split; merge with `fdconf merge`).")
@click.option("--allure/--no-allure", default=None, help="Write Allure results (allure-results/).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="A TOML file of [[waivers]] tables: "
              "known failures that do not fail the exit code until they expire (adds to fdconf.toml's).")
@click.option("--strict", is_flag=True, help="Exit 1 unless CERTIFIED (rules not run count as failures); a "
              "flaky finding fails its rule like a confirmed one (run.strict).")
@click.option("--progress", type=click.Choice(["auto", "bar", "lines", "off"]), default="auto",
              show_default=True, help="Live progress: a bar on a terminal, one line per rule family "
              "otherwise (auto picks by whether stdout is a terminal).")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(
    config: str | None, strict: bool, progress: str, pytest_args: tuple[str, ...], **options: Any
) -> None:
    """Run every rule of the catalogue (and fuzzing) against a target; with no target, against the
    embedded reference. Exit 0: every rule that ran passed; 1: findings; 2: usage/config/target error.

    Arguments after `--` go to pytest unchanged (e.g. `fdconf run -- -x -k tenancy`).
    """
    from conformance.engine import main_run

    flags: dict[str, Any] = {f"target.{host}": options.pop(host) for host in ("main", "cr", "media")}
    flags["run.fuzz"] = False if options.pop("no_fuzz") else None
    flags.update({f"run.{name}": value for name, value in options.items()})
    flags["run.strict"] = True if strict else None
    sys.exit(main_run(config=config, flags=flags, extra_args=pytest_args, strict=strict, progress=progress))


@cli.command()
@click.option("--port-main", type=int, default=0, show_default=True, help="Main host port (0 = any free).")
@click.option("--port-cr", type=int, default=0, show_default=True, help="CR host port (0 = any free).")
@click.option("--defect", "defects", multiple=True, metavar="NAME", help="Switch a defect on (repeatable).")
@click.option("--write-config", type=click.Path(), callback=_output_file,
              help="Write an fdconf.toml for this stack.")
@click.option("--rate-limit", metavar="FIGURES", help="Enforce a rate budget like a deployment: "
              "'documented' (reads=600,writes=120 per partner, auth=10, per minute) or "
              "reads=N,writes=N,auth=N[,window=SECONDS]; over budget: 429 without Retry-After.")
@click.option("--latency", metavar="DURATION", help="Hold every answer this long, e.g. 80ms.")
def serve(port_main: int, port_cr: int, defects: tuple[str, ...], write_config: str | None, *,
          rate_limit: str | None, latency: str | None) -> None:
    """Serve the reference implementation on loopback until interrupted."""
    from conformance.harness.embedded import check_defects

    check_defects(defects)
    try:
        from conformance.reference.limits import limits
        from conformance.reference.serve import serve as serve_reference
    except ImportError as exc:
        raise UsageError(f"the reference server is not available ({exc})",
                         "reinstall fd-conformance") from exc
    try:
        conditions = limits(rate_limit, latency)
    except ValueError as exc:
        raise UsageError(str(exc), "e.g. --rate-limit documented --latency 80ms") from None
    try:
        serve_reference(port_main=port_main, port_cr=port_cr, defects=list(defects),
                        write_config=Path(write_config) if write_config else None, limits=conditions)
    except (OSError, RuntimeError) as exc:  # a port in use, most often
        raise UsageError(f"the reference could not start: {exc}",
                         "choose free ports with --port-main/--port-cr, or 0 for any free port") from None


@cli.command()
def defects() -> None:
    """List the defects the embedded reference can switch on, with the rule each breaks."""
    from conformance.harness.embedded import _stack_class

    for name, (rule_id, what) in sorted(_stack_class().available_defects().items()):
        click.echo(f"{name:32} {rule_id:8} {what}")


@cli.command()
@click.argument("old", type=click.Path(exists=False))
@click.argument("new", type=click.Path(exists=False))
@click.option("--fail-on-new", is_flag=True, help="Exit 1 when NEW fails anything OLD did not.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "text"]), default="markdown",
              show_default=True)
def diff(old: str, new: str, fail_on_new: bool, fmt: str) -> None:
    """Compare two runs (run folders or results.json files)."""
    from conformance.report import (
        diff_runs,
        has_new_failures,
        load_results,
        render_diff_markdown,
        render_diff_text,
    )

    d = diff_runs(load_results(Path(old)), load_results(Path(new)))
    click.echo(render_diff_markdown(d) if fmt == "markdown" else render_diff_text(d), nl=False)
    sys.exit(1 if fail_on_new and has_new_failures(d) else 0)


@cli.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("--out", required=True, type=click.Path(), callback=_output_dir,
              help="Folder for the merged reports (an earlier run's files in it are removed).")
def merge(run_dirs: tuple[str, ...], out: str) -> None:
    """Merge the results of the shards of one run into one set of reports."""
    from conformance.report import (
        OutputError,
        blocking_failures,
        load_results,
        merge_results,
        prepare_report_dir,
        write_all,
    )

    if Path(out).resolve() in {Path(d).resolve() for d in run_dirs}:
        raise OutputError(f"--out {out}: is one of the runs being merged",
                          "write the merged reports to a folder of their own")
    merged = merge_results([load_results(Path(d)) for d in run_dirs])
    prepare_report_dir(out, "--out")
    written = write_all(merged, Path(out))
    counts = merged.counts()
    click.echo(f"merged {len(run_dirs)} runs: {counts['passed']} passed, {counts['failed']} failed, "
               f"{counts['partial']} partial, {counts['not_run']} not run — {merged.verdict}; "
               f"reports in {out} ({len(written)} files)")
    sys.exit(1 if blocking_failures(merged) else 0)


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--allure", is_flag=True, required=True, help="Render the Allure HTML report (needs Node).")
@click.option("--out", type=click.Path(), callback=_output_dir,
              help="Output folder (default RUN_DIR/allure-report).")
@click.option("--history", type=click.Path(), callback=_output_dir,
              help="Allure history folder kept across runs.")
def report(run_dir: str, allure: bool, out: str | None, history: str | None) -> None:
    """Render a finished run's Allure results as an HTML report."""
    from conformance.report import build_html

    base = Path(run_dir)
    index = build_html(base / "allure-results", Path(out) if out else base / "allure-report",
                       Path(history) if history else None)
    click.echo(str(index))


@cli.command()
@click.argument("rule_id", required=False, metavar="[RULE]")
def explain(rule_id: str | None) -> None:
    """What a rule checks, what it needs, the defect that proves it fires and how to reproduce a
    finding; with no RULE, the catalogue."""
    from conformance.harness.embedded import _stack_class
    from conformance.report import catalogue_list, explain_rule
    from conformance.rules import catalogue

    rules = catalogue()
    if rule_id is None:
        click.echo(catalogue_list())
        return
    wanted = rule_id.strip().upper()
    if wanted not in rules:
        import difflib

        close = difflib.get_close_matches(wanted, list(rules), n=1, cutoff=0.5)
        raise UsageError(f"rule {rule_id!r} is not in the rule catalogue",
                         f"did you mean {close[0]}?" if close else "`fdconf explain` lists the rules")
    defects = {name: what for name, (rule, what) in _stack_class().available_defects().items()
               if rule == wanted}
    click.echo(explain_rule(rules[wanted], defects))


@cli.command()
@click.argument("rule_id", metavar="RULE")
@click.option("--reason", required=True, help="Why the failure is accepted for now.")
@click.option("--ticket", required=True, help="Where the fix is tracked (e.g. FD-1234).")
@click.option("--expires", required=True, metavar="YYYY-MM-DD",
              help="Last day the waiver applies (today or later).")
@click.option("--host", type=click.Choice(["main", "cr"]), help="Only findings seen on this host.")
@click.option("--operation", metavar="'METHOD /path'",
              help="Only findings of this operation, e.g. 'GET /partners/'.")
@click.option("--check", help="Only findings of this check of the rule.")
@click.option("--file", "path", type=click.Path(dir_okay=False), default="waivers.toml", show_default=True,
              help="The waivers file to append to (created if missing; use with `fdconf run --waivers`).")
def waive(rule_id: str, path: str, **fields: str | None) -> None:
    """Record a known failure as a waiver (with today as its creation date) in a waivers file."""
    from datetime import UTC, datetime

    from conformance.config import Waiver, append_waiver
    from conformance.report import check_waivers
    from conformance.rules import catalogue

    entry = {"rule": rule_id.strip().upper(), **{k: v or "" for k, v in fields.items()}}
    today = datetime.now(UTC).date()
    # The catalogue check first (the config layer cannot see the catalogue): an unknown rule or check.
    check_waivers([Waiver(rule=entry["rule"], reason="-", ticket="-", expires=today.isoformat(),
                          check=entry.get("check", ""), source="fdconf waive")], catalogue())
    waiver = append_waiver(Path(path), entry, today)
    click.echo(f"waiver {waiver.label()} until {waiver.expires} appended to {path}")


@cli.command("export-tests")
@click.argument("run_dir", type=click.Path(exists=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the test files (created if needed).")
def export_tests(run_dir: str, out: str) -> None:
    """Write one pytest file per confirmed finding of a finished run: it fails while the bug exists
    and passes once it is fixed (plain httpx; the persona's token from the environment)."""
    from conformance.report import export_tests as export
    from conformance.report import load_results

    done = export(load_results(Path(run_dir)), Path(out))
    written = [d for d in done if d.path is not None]
    for item in done:
        if item.path is not None:
            click.echo(f"wrote {item.path}  ({item.finding.rule_id})")
        else:
            click.echo(f"not exported: {item.finding.rule_id} {item.finding.message[:80]!r}: {item.skipped}")
    click.echo(f"{len(written)} test file(s) in {out}; {len(done) - len(written)} finding(s) not exported")


from conformance.integration.cli import integration as _integration  # noqa: E402 - the second face

cli.add_command(_integration)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: usage errors become one line on stderr and exit 2."""
    try:
        cli.main(args=argv, prog_name="fdconf", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        click.echo(exc.one_line(), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":  # python -m conformance.cli
    main()
