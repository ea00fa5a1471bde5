"""Import mappings, the rows they read, and the files the rows come from (CSV and XLSX)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook

from complaints.application.routing import RoutingTable
from complaints.importing import cli as importing_cli
from complaints.importing.importer import ImportReport, RejectedRow
from complaints.importing.mapping import MappingError, load_mapping, parse_mapping, shipped_mapping
from complaints.importing.rows import RowRejectedError, read_case
from complaints.importing.sources import SourceError, SourceRow, open_source

ROUTING = RoutingTable.load()
NOW = datetime(2026, 3, 2, tzinfo=UTC)
MAPPING = """
[source]
name = "test"
id_column = "id"

[dates]
format = "%Y-%m-%d"
time_of_day = "09:00"
time_zone = "Asia/Shanghai"
filed_at = "received"
assigned_at = "sent"

[text]
subject = ["company", "issue"]
subject_separator = ": "
required = ["company"]
description = [{ label = "Company", column = "company" }, { column = "story" }]

[category]
default = "other"
[[category.rules]]
column = "issue"
[category.rules.values]
"Goods held at the border" = "cross_border_trade"
[[category.rules]]
column = "product"
[category.rules.values]
"Loan" = "financing"
"Export" = "tax"

[channel]
column = "via"
[channel.values]
Web = "web"
Phone = "hotline"

[outcome]
column = "response"
[outcome.values]
Done = "resolved"
Pending = "open"
"""
HEADER = ("id", "received", "sent", "company", "issue", "product", "story", "via", "response")


def mapping(text: str = MAPPING):
    return parse_mapping(text, ROUTING, origin="test.toml")


def row(number: int = 2, **values: str) -> SourceRow:
    base = {"id": "17", "received": "2023-08-25", "sent": "2023-08-28", "company": "ACME",
            "issue": "Late refund", "product": "Loan", "story": "", "via": "Web",
            "response": "Done"}
    return SourceRow(number, {**base, **values})


def rejection(mapping_text: str = MAPPING, **values: str) -> str:
    with pytest.raises(RowRejectedError) as refused:
        read_case(mapping(mapping_text), ROUTING, row(**values), now=NOW)
    return str(refused.value)


# -- the mapping file ---------------------------------------------------------------------------


def test_the_shipped_cfpb_mapping_loads_and_names_its_actor():
    cfpb = load_mapping(shipped_mapping("cfpb-2023"), ROUTING)

    assert cfpb.actor_id == "import:cfpb"
    assert cfpb.claim_key("7523056") == "import:cfpb:7523056"
    assert cfpb.dates.parse("2023-08-25") == datetime(2023, 8, 25, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('"Loan" = "financing"', '"Loan" = "banking"'), "unknown category 'banking'"),
        (('default = "other"', 'default = "misc"'), "category.default is 'misc'"),
        (('Phone = "hotline"', 'Phone = "telegraph"'), "unknown channel 'telegraph'"),
        (('Done = "resolved"', 'Done = "fixed"'), "unknown outcome 'fixed'"),
        (('time_zone = "Asia/Shanghai"', 'time_zone = "Mars/Olympus"'), "not a time zone"),
        (('time_of_day = "09:00"', ""), "dates.time_of_day must say"),
        (('time_of_day = "09:00"', 'time_of_day = "nine"'), "is not HH:MM"),
        (('id_column = "id"', 'id_colum = "id"'), "unknown key source.id_colum"),
        (('name = "test"', 'name = "Test Source"'), "source.name must be lower-case"),
        (("[channel]", "[channels]"), "unknown key channels"),
        (('subject = ["company", "issue"]', "subject = []"), "text.subject names no column"),
        (('{ column = "story" }', '{ colum = "story" }'), "unknown key text.description[1].colum"),
        (("[outcome]", '[filer]\ncredit_code = "company"\n[outcome]'),
         "an individual filer has no credit_code"),
        (("[outcome]", '[filer]\nkind = "enterprise"\nuser_id = "id"\n[outcome]'),
         "an enterprise filer has no user_id"),
        (("[outcome]", '[filer]\nkind = "household"\n[outcome]'), "filer.kind is 'household'"),
        (("[outcome]", '[filer]\nanonymous = "yes"\n[outcome]'), "filer.anonymous must be"),
        (("[outcome]", '[filer]\nname = ""\n[outcome]'), "filer.name must be a non-empty"),
    ],
)
def test_a_mapping_with_a_mistake_is_refused_naming_it(change, message):
    old, new = change
    assert old in MAPPING
    with pytest.raises(MappingError) as refused:
        mapping(MAPPING.replace(old, new))
    assert message in str(refused.value)
    assert str(refused.value).startswith("test.toml")


def test_a_mapping_that_is_not_toml_is_refused():
    with pytest.raises(MappingError, match="not valid TOML"):
        mapping("[source\nname=")


def test_a_missing_mapping_file_is_refused(tmp_path):
    with pytest.raises(MappingError, match="cannot read the mapping"):
        load_mapping(tmp_path / "nowhere.toml", ROUTING)


def test_a_header_without_a_mapped_column_is_refused_naming_the_columns():
    with pytest.raises(MappingError) as refused:
        mapping().check_header([c for c in HEADER if c not in ("via", "story")])
    assert "'story', 'via'" in str(refused.value)
    mapping().check_header(HEADER)


# -- category rules ------------------------------------------------------------------------------


def category_of(source_row: SourceRow, text: str = MAPPING) -> tuple[str, str]:
    case = read_case(mapping(text), ROUTING, source_row, now=NOW)
    return case.category, case.category_rule


def test_the_first_category_rule_that_matches_wins():
    assert category_of(row(issue="Goods held at the border")) == ("cross_border_trade", "rule 1")
    assert category_of(row(product="Export")) == ("tax", "rule 2")
    assert category_of(row(product=" Loan ")) == ("financing", "rule 2")


def test_a_row_no_rule_matches_takes_the_default_or_is_rejected_without_one():
    assert category_of(row(product="Insurance")) == ("other", "default")

    without_default = MAPPING.replace('default = "other"\n', "")
    assert "no category rule matches issue='Late refund', product='Insurance'" in rejection(
        without_default, product="Insurance"
    )


# -- one row -------------------------------------------------------------------------------------


def test_a_good_row_becomes_a_historical_case_at_its_times():
    case = read_case(mapping(), ROUTING, row(story="They kept the money."), now=NOW)

    assert case.source_id == "17"
    assert case.filed_at == datetime(2023, 8, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert case.assigned_at == case.reply_at == datetime(2023, 8, 28, 1, 0, tzinfo=UTC)
    assert (case.channel, case.category, case.outcome) == ("web", "financing", "resolved")
    assert case.subject == "ACME: Late refund"
    assert case.description == "Company: ACME\nThey kept the money."
    assert case.reply_text == "Done"


def test_a_row_names_its_filer_as_the_filer_table_says_each_detail_as_written():
    person = MAPPING.replace("[outcome]", '[filer]\nname = "company"\nuser_id = "id"\n'
                             'anonymous = false\n[outcome]')
    enterprise = MAPPING.replace("[outcome]", '[filer]\nkind = "enterprise"\nname = "company"\n'
                                 'credit_code = "story"\n[outcome]')

    by_default = read_case(mapping(), ROUTING, row(), now=NOW)
    named = read_case(mapping(person), ROUTING, row(company=" Li Ming "), now=NOW)
    firm = read_case(mapping(enterprise), ROUTING, row(story="91350100M000100Y43"), now=NOW)

    assert by_default.filer.as_record() == {"kind": "individual", "language": "zh"}
    assert by_default.anonymous is True
    assert named.filer.as_record() == {"kind": "individual", "language": "zh",
                                       "person_name": " Li Ming ", "external_user_id": "17"}
    assert named.anonymous is False
    assert (firm.filer.enterprise_name, firm.filer.credit_code) == ("ACME", "91350100M000100Y43")
    assert "credit code '91350100M000100Y44'" in rejection(enterprise, story="91350100M000100Y44")


def test_an_open_outcome_leaves_no_outcome():
    assert read_case(mapping(), ROUTING, row(response="Pending"), now=NOW).outcome is None


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"id": " "}, "no source id: 'id' is empty"),
        ({"received": "2023-02-30"}, "'received' '2023-02-30' is not a date in the format"),
        ({"sent": ""}, "'sent' is empty"),
        ({"sent": "2023-08-24"}, "'sent' '2023-08-24' is before 'received' '2023-08-25'"),
        ({"received": "2026-03-05", "sent": "2026-03-05"}, "'received' '2026-03-05' is in the"),
        ({"via": "Pigeon"}, "'via' 'Pigeon' is not one of the mapping's channel values"),
        ({"response": "Shrugged"}, "'response' 'Shrugged' is not one of the mapping's outcome"),
        ({"company": ""}, "'company' is empty"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason(values, reason):
    assert reason in rejection(**values)


def test_a_text_longer_than_intake_allows_is_rejected():
    assert "the subject has 301 characters; at most 200" in rejection(company="x" * 288)


def test_a_rating_needs_a_reply_and_a_score_from_one_to_five():
    rated = MAPPING + '\n[rating]\ncolumn = "stars"\nat = "rated"\n'
    rules = mapping(rated)
    case = read_case(rules, ROUTING, row(stars="2", rated="2023-09-01"), now=NOW)
    assert (case.rating, case.rating_at) == (2, datetime(2023, 9, 1, 1, 0, tzinfo=UTC))
    assert "'stars' '6' is not a whole number" in rejection(rated, stars="6", rated="")
    assert "rates a case that has no reply" in rejection(rated, stars="4", rated="",
                                                         response="Pending")
    assert "'rated' '2023-08-27' is before 'sent'" in rejection(rated, stars="4",
                                                                rated="2023-08-27")


def test_dates_with_a_time_and_an_offset_keep_them():
    with_time = MAPPING.replace('format = "%Y-%m-%d"', 'format = "%Y-%m-%d %H:%M%z"')
    dates = mapping(with_time).dates

    assert dates.parse("2023-08-25 14:30+0300") == datetime(2023, 8, 25, 11, 30, tzinfo=UTC)
    assert dates.parse("2023-08-25 14:30+0000").tzinfo is UTC


# -- the files -----------------------------------------------------------------------------------


def test_csv_rows_stream_with_their_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('\ufeffid,story\n1,"two\nlines"\n\n2,plain\n3,x,extra\n', encoding="utf-8")

    with open_source(path) as source:
        columns = source.columns
        rows = list(source.rows)

    assert columns == ("id", "story")
    assert [(r.number, r.values) for r in rows[:2]] == [
        (2, {"id": "1", "story": "two\nlines"}),
        (4, {"id": "2", "story": "plain"}),
    ]
    assert rows[2].problem == "3 cells where the header names 2"


def test_a_csv_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,story\n1,café\n".encode("latin-1"))

    with pytest.raises(SourceError, match="not UTF-8"), open_source(path) as source:
        list(source.rows)


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("id,story,id\n1,a,2\n", encoding="utf-8")

    with pytest.raises(SourceError, match="names a column twice: id"), open_source(path):
        pass


def test_an_unknown_extension_needs_a_format(tmp_path):
    path = tmp_path / "rows.txt"
    path.write_text("id\n1\n", encoding="utf-8")

    with pytest.raises(SourceError, match="give --format"), open_source(path):
        pass
    with open_source(path, "csv") as source:
        assert [r.values for r in source.rows] == [{"id": "1"}]


def test_xlsx_cells_read_as_a_csv_export_would_show_them(tmp_path):
    path = tmp_path / "rows.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "received", "sent", "amount", "note"])
    sheet.append([7523056, datetime(2023, 8, 25), datetime(2023, 8, 25, 14, 30), 12.5, None])
    sheet.append([None, None, None, None, None])
    sheet.append([7523057.0, date(2023, 8, 26), "2023-08-27", 3, "ok"])
    book.save(path)

    with open_source(path) as source:
        rows = [(r.number, r.values) for r in source.rows]

    assert rows == [
        (2, {"id": "7523056", "received": "2023-08-25", "sent": "2023-08-25 14:30:00",
             "amount": "12.5", "note": ""}),
        (4, {"id": "7523057", "received": "2023-08-26", "sent": "2023-08-27", "amount": "3",
             "note": "ok"}),
    ]


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("id\n1\n", encoding="utf-8")

    with pytest.raises(SourceError, match="not a readable XLSX"), open_source(path):
        pass



# -- the command's progress lines ----------------------------------------------------------------


def test_progress_is_a_line_every_few_thousand_rows_with_the_speed(monkeypatch):
    monkeypatch.setattr(importing_cli, "PROGRESS_SECONDS", 3600.0)
    out = io.StringIO()
    progress = importing_cli.Progress(out)

    for rows in (500, 4_500, 5_000, 9_500, 10_000, 12_000):
        progress(ImportReport(rows=rows, imported=rows - 1, rejected=[RejectedRow(2, "", "x")],
                              seconds=rows / 1_000))

    assert out.getvalue().splitlines() == [
        "huiyin import: 5,000 rows, 1,000 rows/s (4,999 imported, 0 skipped, 1 rejected)",
        "huiyin import: 10,000 rows, 1,000 rows/s (9,999 imported, 0 skipped, 1 rejected)",
    ]
