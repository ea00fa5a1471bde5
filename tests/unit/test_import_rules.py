"""Import mappings: constants and defaults, category rules on the text, several date formats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from complaints.application.routing import RoutingTable
from complaints.domain.errors import CaseRuleError
from complaints.domain.values import OUTCOME_NOT_RECORDED, Outcome
from complaints.importing.mapping import MappingError, parse_mapping
from complaints.importing.rows import RowRejectedError, read_case
from complaints.importing.sources import SourceRow
from tests.unit.case_builder import assigned_case, filed_case, stamp

ROUTING = RoutingTable.load()
NOW = datetime(2026, 3, 2, tzinfo=UTC)
# A message board: no channel, no outcome, no assignment or reply time, only the text.
MAPPING = """
[source]
name = "board"
id_column = "id"

[dates]
format = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d"]
time_of_day = "09:00"
filed_at = "posted"

[text]
subject = "title"
description = [{ column = "body" }]

[category]
default = "other"
[[category.rules]]
name = "tax words"
category = "tax"
keywords = ["纳税", "Invoice"]
[[category.rules]]
name = "permits"
category = "construction_permits"
patterns = ['施工许可证?', '(?i)building\\s+permit']
in = ["subject"]

[channel]
value = "web"

[outcome]
value = "not_recorded"
"""


def mapping(text: str = MAPPING):
    return parse_mapping(text, ROUTING, origin="board.toml")


def row(moments: dict | None = None, **values: str) -> SourceRow:
    base = {"id": "1", "posted": "2019/2/28 11:25:05", "title": "咨询", "body": "请问"}
    return SourceRow(2, {**base, **values}, moments=moments or {})


def read(text: str = MAPPING, **kwargs):
    return read_case(mapping(text), ROUTING, row(**kwargs), now=NOW)


def rejection(text: str = MAPPING, **kwargs) -> str:
    with pytest.raises(RowRejectedError) as refused:
        read(text, **kwargs)
    return str(refused.value)


# -- constants and defaults ---------------------------------------------------------------------


def test_constants_stand_for_columns_the_source_does_not_have():
    case = read()

    assert (case.channel, case.outcome, case.reply_text) == ("web", "not_recorded", "")
    # Neither acceptance nor reply is dated by the source: both at the filing, not recorded.
    assert case.filed_at == case.assigned_at == case.reply_at
    assert not case.assigned_at_recorded and not case.reply_at_recorded


def test_a_column_map_takes_its_default_for_a_value_it_does_not_list():
    text = MAPPING.replace('[channel]\nvalue = "web"', '[channel]\ncolumn = "via"\n'
                           'default = "letter"\n[channel.values]\nPhone = "hotline"')
    assert read(text, via="Phone").channel == "hotline"
    assert read(text, via="Carrier pigeon").channel == "letter"
    assert read(text, via="").channel == "letter"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('value = "web"', 'value = "web"\ncolumn = "via"'),
         "channel.value is a constant: column cannot go with it"),
        (('value = "web"', ""), "[channel] needs a column (with values) or a constant value"),
        (('value = "web"', 'value = "pigeon"'), "channel.value is 'pigeon', not one of"),
        (('value = "not_recorded"', 'value = "forgotten"'), "outcome.value is 'forgotten'"),
        (('value = "web"', 'column = "via"'), "channel.values must be a table of text values"),
        (('keywords = ["纳税", "Invoice"]', ""),
         "category.rules[0] needs keywords, patterns, or both"),
        (('category = "tax"', 'category = "taxes"'), "category.rules[0].category is 'taxes'"),
        (('category = "tax"\n', ""),
         "category.rules[0] needs column and values, or category with keywords or patterns"),
        (('category = "tax"', 'category = "tax"\ncolumn = "title"'),
         "category.rules[0] maps a column's values; category, keywords belong to a rule on"),
        (("'施工许可证?'", "'施工(许可'"), "'施工(许可' is not a regular expression"),
        (('in = ["subject"]', 'in = ["title"]'), "category.rules[1].in names 'title'"),
        (('name = "permits"', 'name = "tax words"'), "category.rules name 'tax words' twice"),
        (('name = "permits"', 'nmae = "permits"'), "unknown key category.rules[1].nmae"),
        (('format = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d"]', "format = []"),
         "dates.format names no format"),
        (('time_of_day = "09:00"\n', ""), "dates.time_of_day must say"),
    ],
)
def test_a_mapping_with_a_mistake_in_its_new_keys_is_refused_naming_it(change, message):
    old, new = change
    assert old in MAPPING
    with pytest.raises(MappingError) as refused:
        mapping(MAPPING.replace(old, new, 1))
    assert message in str(refused.value)


def test_only_an_imported_case_may_reply_with_no_recorded_outcome():
    imported = filed_case(stamp=stamp("system", actor="import:board"))
    imported.accept(stamp(), "TAX", [])
    imported.assign(stamp(), "TAX", [], None)
    imported.respond(stamp("system", actor="import:board"), OUTCOME_NOT_RECORDED, "", [])
    live = assigned_case()

    with pytest.raises(CaseRuleError, match="only imported history may not"):
        live.respond(stamp("handler"), OUTCOME_NOT_RECORDED, "", [])
    assert imported.reply["outcome"] == "not_recorded" and live.reply is None
    assert OUTCOME_NOT_RECORDED not in {outcome.value for outcome in Outcome}  # not for staff


# -- categories from the text ----------------------------------------------------------------------


def test_text_rules_take_a_row_in_order_the_first_match_wins_and_the_rest_fall_back():
    assert (read(body="如何纳税").category, read(body="如何纳税").category_rule) == (
        "tax", "tax words")
    assert read(title="the Invoice is late").category == "tax"  # a keyword as written
    assert read(title="施工许可证 纳税").category_rule == "tax words"  # the first rule wins
    assert read(title="施工许可").category == "construction_permits"
    assert read(title="A BUILDING  Permit").category == "construction_permits"
    # The second rule looks in the subject only.
    assert (read(body="施工许可").category, read(body="施工许可").category_rule) == (
        "other", "default")


def test_names_of_the_rules_are_listed_for_the_report_with_the_default_last():
    assert mapping().category.names() == ["tax words", "permits", "default"]


def test_without_a_default_a_row_no_text_rule_takes_is_rejected():
    text = MAPPING.replace('default = "other"\n', "")
    assert "no category rule matches the text and the mapping has no default" in rejection(text)


# -- dates -----------------------------------------------------------------------------------------


def test_a_date_column_takes_each_of_its_formats_and_a_date_alone_takes_the_time_of_day():
    assert read(posted="2019/2/28 11:25:05").filed_at == datetime(2019, 2, 28, 3, 25, 5,
                                                                  tzinfo=UTC)
    assert read(posted="2019/2/28").filed_at == datetime(2019, 2, 28, 1, 0, tzinfo=UTC)
    assert "'posted' '28.2.2019' is not a date in the format %Y/%m/%d %H:%M:%S or %Y/%m/%d" in (
        rejection(posted="28.2.2019"))


def test_a_cell_typed_as_a_date_is_read_as_one_whatever_the_formats():
    typed = read(posted="2019-11-13 11:20:21",
                 moments={"posted": datetime(2019, 11, 13, 11, 20, 21)})
    day = read(posted="2019-08-01", moments={"posted": date(2019, 8, 1)})

    assert typed.filed_at == datetime(2019, 11, 13, 3, 20, 21, tzinfo=UTC)
    assert day.filed_at == datetime(2019, 8, 1, 1, 0, tzinfo=UTC)  # 09:00 in the city


def test_a_typed_date_needs_a_time_of_day_and_a_typed_time_is_no_date():
    timed = MAPPING.replace('format = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d"]\ntime_of_day = "09:00"',
                            'format = "%Y/%m/%d %H:%M:%S"')

    assert "is a date without a time of day, and the mapping gives none" in rejection(
        timed, posted="2019-08-01", moments={"posted": date(2019, 8, 1)})
    assert "'posted' '11:20:00' is a time of day without a date" in rejection(
        posted="11:20:00", moments={"posted": time(11, 20)})
