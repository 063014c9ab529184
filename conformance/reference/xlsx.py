"""Just enough of the xlsx format for the sales sheets: write one sheet, read the first sheet back.

The sales endpoints exchange Excel files (``sales_edit_export``, ``transaction_summary/from_excel``).
A spreadsheet library would be a dependency for two endpoints, so this module writes the minimal
OOXML package (inline strings, numbers) and reads cells of the first worksheet (shared or inline
strings, numbers). CSV uploads are accepted too: :func:`read_table` sniffs the zip signature.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sales" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


class SheetError(ValueError):
    """The upload is neither a readable xlsx nor CSV."""


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write(rows: Sequence[Sequence[object]]) -> bytes:
    """An xlsx file with one sheet holding ``rows`` (str → inline string, int/float → number)."""
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            package.writestr(name, text)
    return buffer.getvalue()


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            shared: list[str] = []
            if "xl/sharedStrings.xml" in names:
                root = ET.fromstring(package.read("xl/sharedStrings.xml"))
                shared = [
                    "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
                    for si in root.findall("m:si", NS)
                ]
            sheet = sorted(n for n in names if n.startswith("xl/worksheets/sheet"))
            if not sheet:
                raise SheetError("the workbook has no worksheet")
            root = ET.fromstring(package.read(sheet[0]))
    except (zipfile.BadZipFile, ET.ParseError, KeyError) as exc:
        raise SheetError(f"not a readable xlsx file ({exc})") from exc
    rows = []
    for row in root.iter(f"{{{NS['m']}}}row"):
        values: dict[int, str] = {}
        for cell in row.findall("m:c", NS):
            ref = re.match(r"([A-Z]+)", cell.get("r", "A"))
            col = 0
            for ch in ref.group(1) if ref else "A":
                col = col * 26 + ord(ch) - 64
            kind, value = cell.get("t"), cell.find("m:v", NS)
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            elif kind == "s" and value is not None and (value.text or "").isdigit():
                index = int(value.text or 0)
                text = shared[index] if index < len(shared) else ""
            else:
                text = value.text or "" if value is not None else ""
            values[col - 1] = text
        if values:
            rows.append([values.get(i, "") for i in range(max(values) + 1)])
    return rows


def read_table(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The lower-cased header row and the rows (as dicts) of an uploaded sheet, xlsx or CSV."""
    if data[:2] == b"PK":
        table = _read_xlsx(data)
    else:
        try:
            table = [list(r) for r in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SheetError(f"not a readable CSV file ({exc})") from exc
    if not table:
        return [], []
    header = [h.strip().lower() for h in table[0]]
    return header, [
        {header[i]: (row[i] if i < len(row) else "").strip() for i in range(len(header))}
        for row in table[1:]
        if any(str(v).strip() for v in row)
    ]
