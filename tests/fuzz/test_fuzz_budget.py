"""What ``--max-examples`` bounds (its help and the README say: the fuzzing phase only), and that a fuzzing
run leaves nothing behind: no ``.hypothesis/`` in the working folder, no private folder in the temp dir."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

FDCONF = shutil.which("fdconf") or str(Path(sys.executable).parent / "fdconf")


def test_max_examples_bounds_the_fuzzing_phase_and_nothing_is_left_behind(tmp_path: Path) -> None:
    work, temp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    env["TMPDIR"] = str(temp)
    budget = 2
    done = subprocess.run(
        [FDCONF, "run", "--rules", "SCH-01", "--max-examples", str(budget), "--seed", "5",
         "--report-dir", "r", "--progress", "off"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((work / "r" / "results.json").read_text(encoding="utf-8"))
    # every operation of the specs is listed; the budget is per fuzzed one
    operations = sum(1 for op in results["operations"] if op["selection"] == "fuzzed")
    cases = results["cases"]
    assert operations > 50
    assert 0 < cases["fuzzing"] <= budget * operations
    # The coverage phase is not bounded by --max-examples (the help says so): if it ever is, say so there.
    assert cases["coverage"] > 10 * budget * operations
    assert sorted(p.name for p in work.iterdir()) == ["r"], "the run wrote outside its report folder"
    # Hypothesis' private home and the settings file are removed when the run ends. (pytest's own
    # basetemp, pytest-of-<user>/, is pytest's to prune.)
    leftovers = [p.name for p in temp.iterdir() if p.name.startswith("fdconf-")]
    assert leftovers == [], "the run left private files in the temp folder"
    assert not list(temp.rglob(".hypothesis")), "Hypothesis wrote its database into the temp folder"


def test_the_help_says_what_max_examples_bounds() -> None:
    done = subprocess.run([FDCONF, "run", "--help"], capture_output=True, text=True, timeout=60, check=True)
    text = " ".join(done.stdout.split())
    assert "fuzzing phase" in text
    assert "does not bound the examples phase" in text
    assert "coverage phase" in text
