"""The README's plain-Schemathesis recipe, run as a user runs it: `fdconf serve --write-config`, then
`schemathesis run` with our hooks module (tenancy replays on). Clean reference: zero failures; with a
tenancy defect switched on, our check finds it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _recipe() -> list[str]:
    """The commands of the README's recipe (the first bash block of its plain-Schemathesis section)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using the checks from plain Schemathesis", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    return [line.split("#", 1)[0].strip() for line in joined.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("defect", "expected"), [(None, 0), ("ten-foreign-header-accepted", 1)],
                         ids=["clean", "ten-foreign-header-accepted"])
def test_readme_hooks_recipe(defect: str | None, expected: int, tmp_path: Path) -> None:
    serve, run = _recipe()
    assert serve.startswith("fdconf serve")
    assert serve.endswith("&")
    main, cr = _free_port(), _free_port()
    ports = {"8000": str(main), "8001": str(cr)}

    def local(command: str) -> str:  # the recipe's fixed ports may be taken on this machine
        return re.sub(r"\b(8000|8001)\b", lambda m: ports[m.group(1)], command)

    (tmp_path / "specs").symlink_to(ROOT / "specs")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))},
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    serve_cmd = local(serve.rstrip("&").strip()) + (f" --defect {defect}" if defect else "")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(serve_cmd, shell=True, cwd=tmp_path, env=env, start_new_session=True,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not (tmp_path / "fdconf.toml").is_file():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "fdconf serve never wrote its config"
            time.sleep(0.2)
        # the recipe as written; only the example budget is the test's (the default is 100 per operation),
        # and with the defect one operation it breaks is enough to show the check fires
        only = " --include-path /events/" if defect else ""
        done = subprocess.run(f"{local(run)} --max-examples 5{only}", shell=True, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    output = done.stdout + done.stderr
    assert done.returncode == expected, output[-4000:]
    assert "generated" in output  # Schemathesis ran cases (not a usage error)
    if defect:
        assert "fd_tenancy_replay (TEN-03)" in output, output[-4000:]
        assert "FD901" in output or "fd-conformance rule violated" in output
