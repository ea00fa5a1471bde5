"""The message board's history imported whole through its shipped mapping, text byte for byte."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from complaints.application.audit import all_case_ids
from complaints.bootstrap import build_services
from complaints.importing.importer import import_file
from complaints.importing.mapping import load_mapping, shipped_mapping
from tests.fixtures.planted import required_msgboard
from tests.fixtures.stores import settings_for

ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescaped(text: str) -> str:
    """OOXML's escapes decoded here, apart from the importer's code (the file has no
    `_x005F_`, so openpyxl's cells hold its escapes as written)."""
    return ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


@pytest.fixture
def services(tmp_path):
    built = build_services(settings_for("sqlite", str(tmp_path), "", HUIYIN_LOG_LEVEL="WARNING"),
                           create_tables=True)
    yield built
    built.close()


@pytest.fixture
def msgboard() -> Path:
    return required_msgboard()


def stored_cases(services):
    app = services.complaints
    return [app.load_case(case_id) for case_id in all_case_ids(app)]


def test_the_message_board_imports_whole_text_exact_and_numbered_by_filing_time(
    services, msgboard
):
    mapping = load_mapping(shipped_mapping("msgboard-2019"), services.routing)
    started = time.perf_counter()
    report = import_file(services.complaints, msgboard, mapping)
    seconds = time.perf_counter() - started

    book = load_workbook(msgboard, read_only=True)
    header, *rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    source = {str(row[header.index("留言编号")]): row for row in rows}
    cases = stored_cases(services)
    app = services.complaints
    by_id = {}
    for source_id in source:
        claim = app.intake_records.find_idempotency_claim(mapping.claim_key(source_id))
        by_id[source_id] = claim.case_id
    loaded = {case.id: case for case in cases}

    assert (report.rows, report.imported, report.rejected) == (4326, 4326, [])
    assert len(cases) == 4326
    for source_id, row in source.items():
        case = loaded[by_id[source_id]]
        assert case.subject == unescaped(row[header.index("留言主题")]), source_id
        assert case.description == unescaped(row[header.index("留言详情")]), source_id
        # Each message's filer: the person the board knew by their user id, kept as written.
        assert case.filer.kind == "individual" and case.anonymous, source_id
        assert case.filer.external_user_id == str(row[header.index("留言用户")]), source_id
    # References follow the filing times, whatever the file's order.
    ordered = sorted(cases, key=lambda case: case.reference)
    assert [c.filed_at for c in ordered] == sorted(c.filed_at for c in ordered)
    assert {case.reply["outcome"] for case in cases} == {"not_recorded"}
    assert sum(report.category_rules.values()) == 4326 and report.category_rules["tax"] > 0
    print(f"msgboard: {seconds:.1f} s, rules {dict(report.category_rules)}")


def test_a_sheet_with_typed_dates_dates_alone_and_escapes_imports_character_for_character(
    services, tmp_path
):
    book = Workbook()
    sheet = book.active
    sheet.append(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
    cells = [
        (1, datetime(2019, 11, 13, 11, 20, 21), "各位领导好_x000D_\n  请问纳税  "),
        (2, "2019/2/28", "\n\t\t_x005F_x000D_ 是文字\t\n"),
        (3, "2019/2/14 20:00:00", "停电了_x000D__x000A_"),
        (4, datetime(2019, 1, 5), " 前后空格 "),
    ]
    for number, posted, text in cells:
        sheet.append([number, "A1", f" 主题{number} ", posted, text, 0, 0])
    sheet["D5"].number_format = "yyyy/m/d"  # row 4's cell: a date alone
    book.save(tmp_path / "typed.xlsx")
    mapping = load_mapping(shipped_mapping("msgboard-2019"), services.routing)

    report = import_file(services.complaints, tmp_path / "typed.xlsx", mapping)

    app = services.complaints
    stored = {number: app.load_case(app.intake_records.find_idempotency_claim(
        mapping.claim_key(str(number))).case_id) for number, _, _ in cells}
    assert (report.imported, report.rejected) == (4, [])
    assert [stored[n].description.encode() for n, _, _ in cells] == [
        "各位领导好\r\n  请问纳税  ".encode(), "\n\t\t_x000D_ 是文字\t\n".encode(),
        "停电了\r\n".encode(), " 前后空格 ".encode()]
    assert stored[1].subject == " 主题1 "
    assert (stored[1].category, stored[3].category) == ("tax", "utilities")
    # A date alone at 09:00 in the city; references by filing time: rows 4, 3, 2, 1.
    assert stored[4].filed_at.isoformat() == "2019-01-05T01:00:00+00:00"
    assert [stored[n].reference[-1] for n in (4, 3, 2, 1)] == ["1", "2", "3", "4"]
