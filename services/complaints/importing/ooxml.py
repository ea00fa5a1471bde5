"""XLSX text as the file holds it: the shared strings read whole, OOXML's escapes decoded once.

Excel writes a character XML cannot carry as it stands (a carriage return, most control
characters) as `_xHHHH_`, and an underscore that would otherwise begin such an escape as
`_x005F_` (ECMA-376 Part 1, 22.9.2.19 ST_Xstring). openpyxl leaves `_x000D_` as it is and
drops every "x005F_" from the shared strings, which makes an escaped literal `_x000D_` and
a carriage return the same text: so the shared strings are read here undecoded, and every
text cell is decoded by `decoded`, once.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

# A UTF-16 surrogate pair (one character beyond the Basic Multilingual Plane), or one unit.
_ESCAPE = re.compile(r"_x(D[89AB][0-9A-F]{2})__x(D[C-F][0-9A-F]{2})_|_x([0-9A-F]{4})_", re.I)
_STRING = f"{{{SHEET_MAIN_NS}}}si"


def decoded(text: str) -> str:
    """`text` with each `_xHHHH_` the character it stands for (`_x005F_` an underscore)."""
    return _ESCAPE.sub(_character, text) if "_x" in text else text


def _character(match: re.Match[str]) -> str:
    high, low, unit = match.groups()
    if unit is None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    code = int(unit, 16)
    # Half a surrogate pair is no character: it stays as written rather than be lost.
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


class ExactTextReader(ExcelReader):
    """openpyxl's workbook reader with the shared strings kept as written (see above)."""

    def read_strings(self) -> None:
        part: Any = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        strings = []
        with self.archive.open(part.PartName[1:]) as source:
            for _, node in iterparse(source):
                if node.tag == _STRING:
                    strings.append(Text.from_tree(node).content)
                    node.clear()
        self.shared_strings = strings
