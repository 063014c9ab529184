"""Redacting the files other tools wrote during a run: pytest's JUnit XML and allure-pytest's results.

Those tools record failure messages and tracebacks verbatim, and a failure text can quote a token or
a password. :func:`redact_run_outputs` runs once pytest has returned (the engine calls it also when
the run ended in an exception), with every secret of the run registered in the redactor by then,
worker processes' ones included (the plugin hands them to the controller).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.redact import REDACTOR, Redactor
from conformance.report._allure_html import redact_results


def redact_xml(path: Path, redactor: Redactor = REDACTOR) -> bool:
    """Redact the text and attribute values of an XML file in place; ``True`` if it changed.

    Works on parsed text, not on the raw file, because XML escaping (``&amp;``, ``&quot;``) would hide a
    secret containing those characters from a plain text pass. A file that is not XML is redacted as
    text.
    """
    raw = path.read_text(encoding="utf-8")
    try:
        tree = ET.ElementTree(ET.fromstring(raw))
    except ET.ParseError:
        new = redactor.text(raw)
        if new != raw:
            path.write_text(new, encoding="utf-8")
        return new != raw
    changed = False
    for element in tree.iter():
        for attr in ("text", "tail"):
            value = getattr(element, attr)
            if value:
                clean = redactor.text(value)
                if clean != value:
                    setattr(element, attr, clean)
                    changed = True
        for key, value in element.attrib.items():
            clean = redactor.text(value)
            if clean != value:
                element.set(key, clean)
                changed = True
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)
    return changed


def redact_run_outputs(xml_files: list[Path], allure_dirs: list[Path], redactor: Redactor = REDACTOR) -> int:
    """Redact the given XML files and Allure results folders (missing ones are skipped); files changed."""
    changed = 0
    for path in xml_files:
        if path.is_file() and redact_xml(path, redactor):
            changed += 1
    for folder in allure_dirs:
        if folder.is_dir():
            changed += redact_results(folder, redactor)
    return changed
