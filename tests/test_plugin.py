"""The pytest plugin the way users run it: options, markers, not-run semantics, filters, shards, xdist."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.rules import catalogue

pytest_plugins = ["pytester"]

SCENARIOS = """
import pytest
from conformance.errors import Finding

@pytest.mark.fd_rule("AUTH-02")
def test_partners_answer(fd_api, fd_ledger):
    assert fd_api("primary").get("/partners/").status == 200
    for check in ("sign-in-shape", "bad-password-401", "refresh-no-rotation"):
        fd_ledger.record("AUTH-02", check, host="main", operation="GET /partners/", outcome="pass")

@pytest.mark.fd_rule("TEN-03")
def test_needs_other(fd_api):
    fd_api("other")

@pytest.mark.fd_rule("WAV-01")
def test_needs_write(fd_sandbox):
    pass

@pytest.mark.fd_rule("ERR-01")
def test_plain_assert_is_attributed_to_the_marker():
    assert 1 == 2, "envelope broken"

@pytest.mark.fd_rule("PAG-01")
def test_finding_names_two_rules():
    raise Finding("OBJ-01", "foreign eid answered 200", expected="404", received="200",
                  curl="curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' x",
                  also=(Finding("HST-02", "foreign eid answered 200 on cr", expected="404"),))

@pytest.mark.fd_rule("CID-01")
def test_skips_itself(fd_api):
    pytest.skip("not run: no campaigns to look at")
"""


@pytest.fixture
def config_file(pytester: pytest.Pytester, reference_stack: Any) -> Path:
    """An fdconf.toml for the shared reference with only the primary persona, read-only."""
    p = reference_stack.personas["primary"]
    path = pytester.path / "fdconf.toml"
    path.write_text(
        f'[target]\nmain = "{reference_stack.main_base}"\ncr = "{reference_stack.cr_base}"\n'
        f'[run]\nmode = "read-only"\nseed = 11\n'
        f'[personas.primary]\nusername = "{p["username"]}"\npassword = "{p["password"]}"\n',
        encoding="utf-8",
    )
    return path


def results(report_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return data


def rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["rules"] if r["id"] == rule_id)
    return found


def test_inert_without_fd_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "fdconf" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()


def test_options_and_markers_are_declared(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    for option in (
        "--fd-config",
        "--fd-main",
        "--fd-cr",
        "--fd-media",
        "--fd-mode",
        "--fd-seed",
        "--fd-max-examples",
        "--fd-rules",
        "--fd-shard",
        "--fd-report-dir",
        "--fd-defect",
        "--fd-no-fuzz",
    ):
        assert option in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.fd_rule(*ids)" in markers
    assert "@pytest.mark.fd_needs(mode=None, personas=())" in markers


def test_rule_status_skip_reasons_and_attribution(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    out = pytester.path / "out"
    result = pytester.runpytest("--fd-config", str(config_file), "--fd-report-dir", str(out), "-rs")
    result.assert_outcomes(passed=1, failed=2, skipped=3)
    result.stdout.fnmatch_lines(["*fdconf: run *-s11, seed 11, mode read-only*"])
    result.stdout.fnmatch_lines(["*needs persona 'other'*", "*needs mode write (this run is read-only*"])
    data = results(out)
    # a user's own run speaks about the rules its tests tag, and the ones its findings name
    tagged = {"AUTH-02", "TEN-03", "WAV-01", "ERR-01", "PAG-01", "CID-01"}
    assert {r["id"] for r in data["rules"]} == tagged | {"OBJ-01", "HST-02"}
    assert set(catalogue()) > tagged
    assert rule(data, "AUTH-02")["status"] == "passed"
    judged = {c["check"]: (c["judged"], c["operations"]) for c in rule(data, "AUTH-02")["checks"]}
    assert judged == dict.fromkeys(("sign-in-shape", "bad-password-401", "refresh-no-rotation"), (1, 1))
    ten03 = rule(data, "TEN-03")
    assert ten03["status"] == "not_run"
    assert "needs persona 'other'" in ten03["reason"]
    wav = rule(data, "WAV-01")
    assert (wav["status"], wav["reason"].startswith("needs mode write")) == ("not_run", True)
    err = rule(data, "ERR-01")
    assert err["status"] == "failed"
    assert "envelope broken" in err["findings"][0]["message"]
    obj, hst = rule(data, "OBJ-01"), rule(data, "HST-02")
    assert obj["status"] == hst["status"] == "failed"
    assert obj["findings"][0]["message"] == "foreign eid answered 200"
    assert obj["findings"][0]["expected"] == "404"
    # each rule's own line, from the data (a user's check names the second rule with `also`)
    assert obj["findings"][0]["evidence"] == "foreign eid answered 200"
    assert hst["findings"][0]["evidence"] == "foreign eid answered 200 on cr"
    assert "eyJ" not in json.dumps(data)  # tokens never reach a report
    pag = rule(data, "PAG-01")  # its only test failed on other rules: not evidence for PAG-01
    assert pag["status"] == "not_run"
    assert "evidence incomplete" in pag["reason"]
    cid = rule(data, "CID-01")
    assert (cid["status"], cid["reason"]) == ("not_run", "no campaigns to look at")
    assert data["seed"] == 11
    assert data["mode"] == "read-only"
    # the primary persona signed in during the run: its discovered partner is listed
    assert data["personas"] == [{"name": "primary", "partner": "partner-id-acme"}]


def test_read_only_guard_in_fd_api(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile("""
import pytest
from conformance.client._http import WriteBlocked

@pytest.mark.fd_rule("AUTH-02")
def test_write_refused(fd_api, fd_transport):
    with pytest.raises(WriteBlocked):
        fd_api("primary").put("/partners/attribution_model", json={})
    assert fd_transport.blocked and not [m for m, _ in fd_transport.sent if m == "PUT"]
""")
    result = pytester.runpytest("--fd-config", str(config_file), "--fd-report-dir", str(pytester.path / "o"))
    result.assert_outcomes(passed=1)


def test_rules_filter_by_family_and_id(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    out = pytester.path / "out"
    result = pytester.runpytest(
        "--fd-config", str(config_file), "--fd-report-dir", str(out), "--fd-rules", "ten,AUTH-02"
    )
    result.assert_outcomes(passed=1, skipped=1, deselected=4)
    data = results(out)
    assert {r["id"] for r in data["rules"]} == {"AUTH-02", "TEN-03"}  # the selected tests' rules
    assert rule(data, "TEN-03")["status"] == "not_run"


def test_unknown_rule_is_a_usage_error_with_suggestion(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = pytester.runpytest("--fd-config", str(config_file), "--fd-rules", "TEN-3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ConfigError: --rules: 'TEN-3' is neither a rule id nor a family*did you mean*"]
    )


def test_bad_config_key_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "fdconf.toml").write_text("[run]\nsed = 1\n", encoding="utf-8")
    result = pytester.runpytest("--fd-config", "fdconf.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ConfigError: *fdconf.toml: unknown key 'run.sed' (hint: did you mean 'run.seed'?)"]
    )


def test_shards_cover_everything_exactly_once(pytester: pytest.Pytester, config_file: Path) -> None:
    template = (
        "@pytest.mark.fd_rule('ERR-01')\n@pytest.mark.parametrize('n', range(4))\ndef test_{}(n):\n    pass\n"
    )
    tests = "\n".join(template.format(i) for i in range(5))
    pytester.makepyfile(test_many="import pytest\n" + tests)
    seen: list[str] = []
    for index in (1, 2, 3):
        result = pytester.runpytest(
            "--fd-config",
            str(config_file),
            "--fd-shard",
            f"{index}/3",
            "-v",
            "--fd-report-dir",
            str(pytester.path / f"o{index}"),
        )
        passed = [
            line.split(" ")[0] for line in result.outlines if line.endswith("PASSED") or " PASSED " in line
        ]
        assert passed, f"shard {index}/3 ran nothing"
        seen += passed
        assert results(pytester.path / f"o{index}")["shard"] == f"{index}/3"
    assert len(seen) == 20
    assert len(set(seen)) == 20


def test_fuzz_properties_become_operation_coverage(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile("""
import pytest

@pytest.mark.fd_rule("SCH-01")
@pytest.mark.parametrize("op", ["main GET /events/", "cr GET /events/{eid}"])
def test_fuzz(request, op):
    request.node.user_properties.append(("fd_operation", op))
    request.node.user_properties.append(("fd_cases", 7))
""")
    out = pytester.path / "out"
    pytester.runpytest("--fd-config", str(config_file), "--fd-report-dir", str(out)).assert_outcomes(passed=2)
    data = results(out)
    ops = {(o["host"], o["operation"]): o for o in data["operations"] if o["selection"] == "fuzzed"}
    assert set(ops) == {("main", "GET /events/"), ("cr", "GET /events/{eid}")}
    # every other operation of the specs is listed too, as not fuzzed (coverage against the specs)
    assert len(data["operations"]) > len(ops)
    assert all(o["cases"] == 7 and o["status"] == "passed" for o in ops.values())
    assert data["cases"] == {"fuzzing": 14}
    # cases alone are no evidence: SCH-01 is judged from the answers' probes, which none recorded
    assert rule(data, "SCH-01")["status"] == "not_run"


def test_no_fuzz_skips_fuzz_modules(pytester: pytest.Pytester, config_file: Path) -> None:
    pkg = pytester.mkpydir("conformance_fake")
    del pkg
    pytester.makepyfile("""
import pytest
import sys, types

@pytest.mark.fd_rule("SCH-01")
def test_generated(fd_settings):
    assert not fd_settings.fuzz
""")
    result = pytester.runpytest(
        "--fd-config", str(config_file), "--fd-no-fuzz", "--fd-report-dir", str(pytester.path / "o")
    )
    result.assert_outcomes(passed=1)  # only modules under conformance.fuzz are switched off


def test_xdist_workers_report_to_the_controller(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "--fd-config", str(config_file), "--fd-report-dir", str(out), "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=2, skipped=3)
    data = results(out)
    statuses = {r["id"]: r["status"] for r in data["rules"]}
    assert statuses["AUTH-02"] == "passed"
    assert statuses["ERR-01"] == statuses["OBJ-01"] == statuses["HST-02"] == "failed"
    assert statuses["TEN-03"] == "not_run"
    assert rule(data, "OBJ-01")["findings"][0]["test"].endswith("test_finding_names_two_rules")
    assert data["seed"] == 11


def test_no_target_starts_the_embedded_reference_with_defects(
    pytester: pytest.Pytester, reference_stack: Any
) -> None:
    """`pytest --pyargs conformance.scenarios --fd-defect X`: the plugin runs the reference itself.

    ``reference_stack`` is requested only so that the reference's modules (and cryptography's) are
    imported before pytester snapshots ``sys.modules``; in-process runs would otherwise re-import them
    and mix class objects of two imports.
    """
    out = pytester.path / "out"
    args = (
        "--pyargs",
        "conformance.scenarios",
        "--fd-rules",
        "TEN-05",
        "--fd-no-fuzz",
        "-p",
        "no:cacheprovider",
    )
    clean = pytester.runpytest(*args, "--fd-report-dir", str(out / "clean"))
    assert clean.ret == 0, clean.stdout.str()[-3000:]
    clean.stdout.fnmatch_lines(["*mode publish, target embedded reference*"])
    broken = pytester.runpytest(
        *args, "--fd-defect", "ten-partners-wrong-record", "--fd-report-dir", str(out / "broken")
    )
    assert broken.ret == pytest.ExitCode.TESTS_FAILED
    broken.stdout.fnmatch_lines(["*defects ten-partners-wrong-record*"])
    assert rule(results(out / "clean"), "TEN-05")["status"] == "passed"
    data = results(out / "broken")
    assert rule(data, "TEN-05")["status"] == "failed"
    assert data["defects"] == ["ten-partners-wrong-record"]
    assert data["embedded"] is True


def test_settings_accessors(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile("""
from conformance.harness.state import active_settings, settings_of

def test_accessors(request, fd_settings):
    assert settings_of(request.config) is fd_settings
    assert active_settings(request.config) is fd_settings
    assert fd_settings.seed == 11
""")
    out = str(pytester.path / "o")
    pytester.runpytest("--fd-config", str(config_file), "--fd-report-dir", out).assert_outcomes(passed=1)
    inert = pytester.makepyfile(test_inert="""
from conformance.harness.state import active_settings

def test_inactive(request):
    assert active_settings(request.config) is None
""")
    pytester.runpytest(str(inert)).assert_outcomes(passed=1)


ALLURE_HOSTS = """
import time
import pytest
from conformance.errors import Finding

@pytest.mark.fd_rule("ERR-01")
def test_clean():
    pass

@pytest.mark.fd_rule("ERR-01")
def test_found_on_cr(fd_settings):
    raise Finding("ERR-01", "no envelope", curl=f"curl -sS -X GET '{fd_settings.cr}/events/x'")

@pytest.mark.fd_rule("ERR-01")
@pytest.mark.parametrize("host", ["main", "cr"])
def test_per_host(host):
    pass

@pytest.mark.fd_rule("SCH-02")
def test_fuzz_like(request, fd_settings):
    request.node.user_properties.append(("fd_operation", "cr GET /events/{eid}"))
    request.node.user_properties.append(("fd_cases", 4))
    time.sleep(0.05)
    raise Finding("SCH-02", "cr GET /events/{eid}: ST202 rejected",
                  curl=f"curl -X GET -H 'Authorization: [Filtered]' '{fd_settings.cr}/events/e1'")
"""


def test_allure_epic_is_the_host_and_fuzz_findings_are_located(
    pytester: pytest.Pytester, config_file: Path
) -> None:
    pytester.makepyfile(test_hosts=ALLURE_HOSTS)
    out, allure_dir = pytester.path / "out", pytester.path / "allure"
    result = pytester.runpytest(
        "--fd-config", str(config_file), "--fd-report-dir", str(out), "--alluredir", str(allure_dir)
    )
    result.assert_outcomes(passed=3, failed=2)
    epics = {}
    for path in allure_dir.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        epics[data["name"]] = [label["value"] for label in data["labels"] if label["name"] == "epic"]
    assert epics == {
        "test_clean": ["main"],  # clean: the first host of ERR-01 in the catalogue
        "test_found_on_cr": ["cr"],  # the host of the request behind the finding
        "test_per_host[main]": ["main"],
        "test_per_host[cr]": ["cr"],
        "test_fuzz_like": ["cr"],  # the fuzzed operation's host
    }
    data = results(out)
    (op,) = [o for o in data["operations"] if o["selection"] == "fuzzed"]
    assert (op["host"], op["operation"], op["cases"]) == ("cr", "GET /events/{eid}", 4)
    assert op["duration"] >= 0.05
    (finding,) = rule(data, "SCH-02")["findings"]
    assert (finding["host"], finding["operation"]) == ("cr", "GET /events/{eid}")
    assert '-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"' in finding["curl"]
    assert finding["curl"].endswith("# FD_ACCESS_TOKEN: AccessToken of persona primary")
    assert rule(data, "ERR-01")["findings"][0]["host"] == "cr"


PROGRESS_TESTS = """
import pytest

@pytest.mark.fd_rule("AUTH-02")
@pytest.mark.parametrize("n", range(3))
def test_auth(n):
    pass

@pytest.mark.fd_rule("ERR-01")
def test_err():
    assert False, "broken"

@pytest.mark.fd_rule("TEN-03")
def test_needs_other(fd_api):
    fd_api("other")
"""


def test_progress_lines_for_ci_logs(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_live_progress=PROGRESS_TESTS)
    args = ("--fd-config", str(config_file), "--fd-report-dir", str(pytester.path / "o"), "-q")
    result = pytester.runpytest(*args)  # stdout is not a terminal here: auto = lines
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    out = result.stdout.str()
    assert "fdconf: running 5 tests" in out
    result.stdout.fnmatch_lines(
        ["fdconf: AUTH  3 passed in *s [[]3/5[]]", "fdconf: ERR   0 passed, 1 failed in *"]
    )
    result.stdout.fnmatch_lines(["fdconf: TEN   0 passed, 1 skipped in * [[]5/5[]]"])
    assert "..." not in out  # pytest's letters are replaced, not doubled
    assert "[100%]" not in out
    plain = pytester.runpytest(*args, "--fd-progress", "off")
    assert "fdconf: AUTH" not in plain.stdout.str()
    assert "...F" in plain.stdout.str()


def test_progress_bar_can_be_forced(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makepyfile(test_live_progress=PROGRESS_TESTS)
    result = pytester.runpytest(
        "--fd-config", str(config_file), "--fd-report-dir", str(pytester.path / "o"), "-q",
        "--fd-progress", "bar",
    )
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    out = result.stdout.str()
    assert "\x1b[?25h" in out  # the bar was stopped (cursor shown again) before the summary
    assert out.index("\x1b[?25h") < out.index("fd-conformance run")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert "fd-conformance" in text
    assert "5/5" in text
    assert "3✓ 1✗ 1○" in text


def test_fd_transport_is_closed_at_the_end(pytester: pytest.Pytester, config_file: Path) -> None:
    pytester.makeconftest("""
import pytest

HELD = []

@pytest.fixture(autouse=True)
def _hold(request):
    if "fd_transport" in request.fixturenames:
        HELD.append(request.getfixturevalue("fd_transport"))

@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    (config.rootpath / "closed.txt").write_text(",".join(str(t.closed) for t in HELD))
""")
    pytester.makepyfile("""
import pytest

@pytest.mark.fd_rule("AUTH-02")
def test_uses_it(fd_api, fd_transport):
    assert not fd_transport.closed
    assert fd_api("primary").get("/partners/").status == 200
""")
    out = str(pytester.path / "o")
    pytester.runpytest("--fd-config", str(config_file), "--fd-report-dir", out).assert_outcomes(passed=1)
    assert (pytester.path / "closed.txt").read_text() == "True"


def _readme_plugin_example() -> str:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- plugin-example -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    return block


def test_readme_plugin_example_in_a_fresh_directory(pytester: pytest.Pytester, config_file: Path) -> None:
    """The README's example as a user writes it (a test file next to an fdconf.toml, nothing else):
    it passes, writes no reports unless asked, and its summary speaks only about its two rules."""
    pytester.makepyfile(test_my_integration=_readme_plugin_example())
    plain = pytester.runpytest("test_my_integration.py")
    plain.assert_outcomes(passed=3)
    assert not (pytester.path / "reports").exists()
    left = sorted(p.name for p in pytester.path.iterdir() if p.name not in ("__pycache__", ".pytest_cache"))
    assert left == ["fdconf.toml", "test_my_integration.py"]
    plain.stdout.fnmatch_lines(["*rules  2 passed, 0 failed, 0 partial, 0 not run*", "*verdict  CERTIFIED*"])
    asked = pytester.runpytest("test_my_integration.py", "--fd-report-dir", "reports/mine")
    asked.assert_outcomes(passed=3)
    data = results(pytester.path / "reports" / "mine")
    assert {r["id"]: r["status"] for r in data["rules"]} == {"TEN-02": "passed", "ERR-01": "passed"}
    assert data["verdict"] == "CERTIFIED"
    judged = {(r["id"], c["check"], c["host"]): c["judged"]
              for r in data["rules"] for c in r["checks"]}
    assert judged == {("TEN-02", "implied-equals-explicit", "main"): 1,
                      ("ERR-01", "error-envelope", "main"): 1, ("ERR-01", "error-envelope", "cr"): 1}
