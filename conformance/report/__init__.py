"""Run results and the artifacts written from them (JSON, JUnit, Markdown, HTML, Allure, diff, merge).

Everything is rendered from one :class:`RunResult` (or from ``results.json``, which round-trips it).
The modules behind this surface are private; import from ``conformance.report``.
"""

from conformance.report._allure_html import AllureError, build_html, find_allure, redact_results
from conformance.report._allure_labels import apply_labels, attach_finding, epic_of, set_host
from conformance.report._allure_waivers import mark_waived
from conformance.report._diff import (
    DiffItem,
    RunDiff,
    diff_runs,
    has_new_failures,
    render_diff_markdown,
    render_diff_text,
)
from conformance.report._explain import catalogue_list, explain_rule
from conformance.report._ledger import OUTCOMES, Outcome, Probe, judge
from conformance.report._load import RESULTS_FILE, ReportError, load_results, results_schema
from conformance.report._merge import MergeError, merge_results
from conformance.report._model import (
    SCHEMA_VERSION,
    CheckResult,
    FindingRecord,
    OperationCoverage,
    RuleResult,
    RuleStatus,
    RunError,
    RunResult,
)
from conformance.report._outputs import (
    OutputError,
    check_output_dir,
    check_output_file,
    prepare_report_dir,
)
from conformance.report._postrun import redact_run_outputs
from conformance.report._regressions import export_tests
from conformance.report._terminal import RunProgress, render_summary
from conformance.report._waivers import apply_waivers, blocking_failures, check_waivers
from conformance.report._writer import SUMMARY_FILE, InvalidResultError, write_all

__all__ = [
    "OUTCOMES",
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "SUMMARY_FILE",
    "AllureError",
    "CheckResult",
    "DiffItem",
    "FindingRecord",
    "InvalidResultError",
    "MergeError",
    "OperationCoverage",
    "Outcome",
    "OutputError",
    "Probe",
    "ReportError",
    "RuleResult",
    "RuleStatus",
    "RunDiff",
    "RunError",
    "RunProgress",
    "RunResult",
    "apply_labels",
    "apply_waivers",
    "attach_finding",
    "blocking_failures",
    "build_html",
    "catalogue_list",
    "check_output_dir",
    "check_output_file",
    "check_waivers",
    "diff_runs",
    "epic_of",
    "explain_rule",
    "export_tests",
    "find_allure",
    "has_new_failures",
    "judge",
    "load_results",
    "mark_waived",
    "merge_results",
    "prepare_report_dir",
    "redact_results",
    "redact_run_outputs",
    "render_diff_markdown",
    "render_diff_text",
    "render_summary",
    "results_schema",
    "set_host",
    "write_all",
]
