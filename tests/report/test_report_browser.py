"""The certificate in a real browser: headless Chromium renders it to a PNG that is not blank."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.report import RunResult, write_all

from .builders import all_passed, sample_result
from .png import decode, distinct_colours

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and os.path.exists(p)), ""
)
pytestmark = pytest.mark.skipif(
    not CHROMIUM,
    reason="no Chromium binary (/usr/bin/chromium); the project's setup installs Debian chromium",
)


def screenshot(html: Path, png: Path, profile: Path, height: int = 2000) -> bytes:
    """Render ``html`` with headless Chromium, offline (file:// only), into ``png``."""
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size=1280,{height}",
        html.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), f"chromium exit {done.returncode}: {done.stderr[-2000:]}"
    return png.read_bytes()


def render(result: RunResult, tmp_path: Path, name: str) -> bytes:
    paths = write_all(result, tmp_path / name)
    return screenshot(paths["certificate.html"], tmp_path / f"{name}.png", tmp_path / f"profile-{name}")


def test_certificate_renders_in_chromium(tmp_path: Path) -> None:
    data = render(sample_result(), tmp_path, "failed")
    width, height, _bpp, _rows = decode(data)
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a page full of text, not an empty canvas
    assert distinct_colours(data) > 50  # text, badges and the red verdict banner, not one flat colour


def test_verdict_colour_differs(tmp_path: Path) -> None:
    # The banner area (top of the page) is red-tinted for NOT CERTIFIED and green-tinted for CERTIFIED.
    def banner_tint(data: bytes) -> tuple[int, int]:
        width, _h, bpp, rows = decode(data)
        red = green = 0
        for row in rows[120:200]:
            for x in range(100, width - 100, 8):
                r, g = row[x * bpp], row[x * bpp + 1]
                red += r > g + 20
                green += g > r + 20
        return red, green

    bad_red, bad_green = banner_tint(render(sample_result(), tmp_path, "bad"))
    ok_red, ok_green = banner_tint(render(all_passed(), tmp_path, "ok"))
    assert bad_red > bad_green
    assert ok_green > ok_red
