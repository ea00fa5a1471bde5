"""The working-day calendar: official years from the package or a loaded schedule, provisional
years from the statutory holidays, walked over real holiday edges with exact due times."""

from __future__ import annotations

import argparse
import json
import time as clock
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from complaints import cli
from complaints.settings import Settings
from complaints.timelimits import cli as calendar_cli
from complaints.timelimits import schedules
from complaints.timelimits.calendar import (
    Due,
    Holiday,
    WorkingCalendar,
    city_day,
    statutory_holidays,
)
from complaints.timelimits.schedules import (
    Schedule,
    ScheduleError,
    read_schedule,
    store_schedule,
)
from shared.locale import CITY_TIME
from tests.fixtures.stores import TEST_KEK

INVENTED_2027 = Path(__file__).parent / "data" / "schedule-2027-test.json"


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CITY_TIME)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=CITY_TIME)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def with_2027() -> WorkingCalendar:
    return WorkingCalendar([read_schedule(INVENTED_2027)])


def schedule_of(year: int, holidays: dict, workdays: dict | None = None) -> dict:
    return {"year": year, "source": "test", "holidays": holidays, "workdays": workdays or {}}


# Official years: the package's schedules, make-up workdays included.


def test_the_package_holds_the_2026_spring_festival_with_two_make_up_saturdays():
    festival = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]

    assert all(day in chinese_calendar.holidays for day in festival)
    assert date(2026, 2, 24) not in chinese_calendar.holidays
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= set(chinese_calendar.workdays)
    assert date(2026, 2, 14).weekday() == date(2026, 2, 28).weekday() == 5


def test_filed_on_the_eve_of_the_2026_spring_festival(calendar):
    filed = at(2026, 2, 13, 17, 30)  # Friday; the make-up Saturday follows, then nine days off

    assert calendar.add_working_days(filed, 1) == Due(end_of(2026, 2, 14), provisional=False)
    assert calendar.add_working_days(filed, 15) == Due(end_of(2026, 3, 12), provisional=False)


def test_filed_on_the_make_up_saturday_before_the_2026_spring_festival(calendar):
    filed = at(2026, 2, 14)

    assert calendar.add_working_days(filed, 1).at == end_of(2026, 2, 24)
    assert calendar.add_working_days(filed, 15).at == end_of(2026, 3, 13)


def test_the_package_holds_national_day_2025_with_its_make_up_sunday_and_saturday():
    assert all(date(2025, 10, day) in chinese_calendar.holidays for day in range(1, 9))
    assert chinese_calendar.holidays[date(2025, 10, 6)] == "Mid-autumn Festival"
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= set(chinese_calendar.workdays)
    assert (date(2025, 9, 28).weekday(), date(2025, 10, 11).weekday()) == (6, 5)


def test_filed_on_the_eve_of_national_day_2025(calendar):
    filed = at(2025, 9, 30, 16)

    assert calendar.add_working_days(filed, 1) == Due(end_of(2025, 10, 9), provisional=False)
    assert calendar.add_working_days(filed, 15) == Due(end_of(2025, 10, 28), provisional=False)


def test_a_make_up_weekend_day_counts_as_a_working_day(calendar):
    assert calendar.is_working_day(date(2025, 10, 11))  # Saturday, worked
    assert not calendar.is_working_day(date(2025, 10, 4))  # Saturday in the holiday
    assert not calendar.is_working_day(date(2025, 10, 18))  # an ordinary Saturday
    assert calendar.add_working_days(at(2025, 10, 10), 1).at == end_of(2025, 10, 11)
    assert calendar.add_working_days(at(2025, 9, 27), 1).at == end_of(2025, 9, 28)


def test_the_day_is_the_city_day_whatever_the_zone_of_the_moment(calendar):
    before_midnight = datetime(2026, 2, 13, 15, 59, tzinfo=UTC)  # 23:59 in the city
    after_midnight = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)  # 00:30 on Saturday

    assert calendar.add_working_days(before_midnight, 1).at == end_of(2026, 2, 14)
    assert calendar.add_working_days(after_midnight, 1).at == end_of(2026, 2, 24)
    assert calendar.add_working_days(after_midnight, 1).at.tzinfo == CITY_TIME


def test_a_moment_without_a_time_zone_is_refused(calendar):
    with pytest.raises(ValueError, match="has no time zone"):
        calendar.add_working_days(datetime(2026, 2, 13, 10), 1)


def test_a_new_years_break_beginning_in_december_belongs_to_that_december(calendar):
    # 2019's New Year: 2018-12-30 to 2019-01-01 off, Saturday 2018-12-29 worked.
    assert calendar.is_working_day(date(2018, 12, 29))
    assert not calendar.is_working_day(date(2018, 12, 31))
    assert calendar.add_working_days(at(2018, 12, 28), 1).at == end_of(2018, 12, 29)
    assert calendar.add_working_days(at(2018, 12, 29), 1).at == end_of(2019, 1, 2)


def test_holidays_lists_the_named_days_of_an_official_year(calendar):
    listed = {entry.day: entry for entry in calendar.holidays(2026)}

    assert listed[date(2026, 2, 14)] == Holiday(date(2026, 2, 14), "春节", "workday", False)
    assert listed[date(2026, 2, 15)] == Holiday(date(2026, 2, 15), "春节", "holiday", False)
    assert listed[date(2026, 10, 10)].kind == "workday"
    assert date(2026, 3, 2) not in listed
    assert sorted(listed) == list(listed)
    december_2018 = [(e.day, e.kind) for e in calendar.holidays(2018) if e.day.month == 12]
    assert december_2018 == [
        (date(2018, 12, 29), "workday"),
        (date(2018, 12, 30), "holiday"),
        (date(2018, 12, 31), "holiday"),
    ]


# Provisional years: weekends and the statutory holidays known in advance.


def test_a_december_filing_due_in_2027_is_provisional_without_the_2027_schedule(calendar):
    assert calendar.add_working_days(at(2026, 12, 11), 15) == Due(end_of(2027, 1, 4), True)
    assert calendar.add_working_days(at(2026, 12, 18), 15) == Due(end_of(2027, 1, 11), True)
    assert calendar.add_working_days(at(2026, 12, 1), 15) == Due(end_of(2026, 12, 22), False)


def test_loading_the_2027_schedule_makes_the_same_deadline_official_and_later(with_2027):
    # The invented schedule rests on Monday 2027-01-4 too.
    due = with_2027.add_working_days(at(2026, 12, 11), 15)

    assert due == Due(end_of(2027, 1, 5), provisional=False)
    assert with_2027.is_official(2027)
    assert 2027 in with_2027.official_years()


def test_the_provisional_holidays_of_2027():
    assert dict(statutory_holidays(2027)) == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节",  # 除夕
        date(2027, 2, 6): "春节",  # 正月初一
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明",
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午",
        date(2027, 9, 15): "中秋",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }


def test_the_provisional_holidays_of_2028_join_mid_autumn_to_national_day(calendar):
    listed = calendar.holidays(2028)

    assert [(entry.day, entry.name) for entry in listed] == [
        (date(2028, 1, 1), "元旦"),
        (date(2028, 1, 25), "春节"),
        (date(2028, 1, 26), "春节"),
        (date(2028, 1, 27), "春节"),
        (date(2028, 1, 28), "春节"),
        (date(2028, 4, 4), "清明"),
        (date(2028, 5, 1), "劳动节"),
        (date(2028, 5, 2), "劳动节"),
        (date(2028, 5, 28), "端午"),
        (date(2028, 10, 1), "国庆节"),
        (date(2028, 10, 2), "国庆节"),
        (date(2028, 10, 3), "中秋、国庆节"),
    ]
    assert {(entry.kind, entry.provisional) for entry in listed} == {("holiday", True)}


def test_a_provisional_year_has_no_make_up_workdays(calendar):
    saturdays = [date(2027, 1, 2) + timedelta(weeks=week) for week in range(52)]

    assert not any(calendar.is_working_day(day) for day in saturdays)
    assert calendar.is_working_day(date(2027, 2, 9))  # the Tuesday after 正月初三
    assert not calendar.is_working_day(date(2027, 2, 8))


@pytest.mark.parametrize(
    ("year", "day"),
    [
        (2015, 5), (2016, 4), (2017, 4), (2018, 5), (2019, 5), (2020, 4), (2021, 4),
        (2022, 5), (2023, 5), (2024, 4), (2025, 4), (2026, 5), (2027, 5), (2028, 4),
        (2029, 4), (2030, 5),
    ],
)
def test_qingming_falls_on_the_day_of_the_solar_term(year, day):
    days = [when for when, name in statutory_holidays(year).items() if name == "清明"]

    assert days == [date(year, 4, day)]


# Rules of the 2025 revision that differ from earlier years' rules: Labour Day was one day
# until 2025 (2 May worked in 2012, 2013, 2017, 2018), and 除夕 was not a holiday from 2014 to
# 2024 (worked in 2014 and 2024). Every other provisional day was an official rest day.
EARLIER_RULES = {
    date(2012, 5, 2), date(2013, 5, 2), date(2014, 1, 30),
    date(2017, 5, 2), date(2018, 5, 2), date(2024, 2, 9),
}


def test_provisional_holidays_were_official_rest_days_since_the_festivals_became_holidays():
    # Qingming, Dragon Boat and Mid-Autumn have been holidays since 2008.
    worked = {
        day
        for year in range(2008, 2027)
        for day in statutory_holidays(year)
        if chinese_calendar.is_workday(day)
    }

    assert worked == EARLIER_RULES


def test_under_the_2025_rules_provisional_holidays_are_named_official_holidays(calendar):
    for year in (2025, 2026):
        official = {entry.day: entry.name for entry in calendar.holidays(year)}
        for day, name in statutory_holidays(year).items():
            assert official.get(day) == name, day


def test_the_lunar_tables_cover_only_1900_to_2099(calendar):
    with pytest.raises(ValueError, match="no provisional calendar for 2100"):
        calendar.is_working_day(date(2100, 1, 4))


# Official coverage comes from the package's data, not from a list of years.


def test_the_package_years_are_official_and_the_next_is_not(calendar):
    package_years = {day.year for day in chinese_calendar.holidays}

    assert set(range(2004, 2027)) <= set(calendar.official_years())
    assert set(calendar.official_years()) == package_years
    assert not calendar.is_official(max(package_years) + 1)


@pytest.fixture
def a_newer_package(monkeypatch):
    """The package as a release carrying (an invented) 2027 schedule would be."""
    monkeypatch.setitem(chinese_calendar.holidays, date(2027, 1, 1), "New Year's Day")
    monkeypatch.setitem(chinese_calendar.holidays, date(2027, 1, 4), "New Year's Day")
    schedules.package_schedules.cache_clear()
    yield
    schedules.package_schedules.cache_clear()


def test_a_newer_package_makes_its_years_official_by_itself(a_newer_package):
    calendar = WorkingCalendar()

    assert calendar.is_official(2027)
    assert calendar.add_working_days(at(2026, 12, 11), 15) == Due(end_of(2027, 1, 5), False)
    assert calendar.is_working_day(date(2027, 2, 8))  # 初三 rested only provisionally


# Counting between two moments, and counting back.


def test_working_days_between_the_same_day_is_zero(calendar):
    assert calendar.working_days_between(at(2026, 3, 2, 8), at(2026, 3, 2, 18)) == 0
    assert calendar.working_days_between(at(2026, 3, 2, 18), at(2026, 3, 2, 8)) == 0


def test_working_days_between_across_a_holiday(calendar):
    assert calendar.working_days_between(at(2026, 2, 13), at(2026, 2, 24)) == 2
    assert calendar.working_days_between(at(2026, 2, 15), at(2026, 2, 23)) == 0
    assert calendar.working_days_between(at(2025, 9, 30), at(2025, 10, 28)) == 15


def test_working_days_between_is_negative_when_the_end_comes_first(calendar):
    assert calendar.working_days_between(at(2026, 2, 24), at(2026, 2, 13)) == -2
    assert calendar.working_days_between(at(2027, 1, 4), at(2026, 12, 11)) == -15


def test_working_days_between_across_years(calendar):
    # 248 each, as chinese_calendar.get_workdays counts them; 1 January is a holiday.
    assert calendar.working_days_between(at(2025, 1, 1), at(2025, 12, 31)) == 248
    assert calendar.working_days_between(at(2024, 12, 31), at(2026, 12, 31)) == 496


def test_counting_back_lands_on_the_end_of_an_earlier_working_day(calendar):
    assert calendar.add_working_days(at(2026, 2, 24), -1) == Due(end_of(2026, 2, 14), False)
    assert calendar.add_working_days(at(2026, 2, 24), -2).at == end_of(2026, 2, 13)
    assert calendar.add_working_days(at(2025, 10, 9), -1).at == end_of(2025, 9, 30)
    assert calendar.add_working_days(at(2027, 1, 5), -2) == Due(end_of(2026, 12, 31), True)


def test_zero_working_days_is_the_end_of_the_same_day(calendar):
    assert calendar.add_working_days(at(2026, 2, 15), 0) == Due(end_of(2026, 2, 15), False)
    assert calendar.add_working_days(at(2031, 5, 1), 0) == Due(end_of(2031, 5, 1), False)


moments = st.datetimes(
    min_value=datetime(2004, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([CITY_TIME, UTC]),
)


@given(start=moments, days=st.integers(min_value=0, max_value=80))
def test_counting_the_days_back_gives_the_days_added(start, days):
    calendar = WorkingCalendar()
    due = calendar.add_working_days(start, days)

    assert calendar.working_days_between(start, due.at) == days
    assert days == 0 or calendar.is_working_day(due.at.date())


@given(start=moments, days=st.integers(min_value=1, max_value=80))
def test_adding_back_what_was_counted_back_returns_to_a_working_day(start, days):
    calendar = WorkingCalendar()
    earlier = calendar.add_working_days(start, -days)
    start_works = calendar.is_working_day(city_day(start))

    assert calendar.is_working_day(earlier.at.date())
    assert calendar.working_days_between(earlier.at, start) == days - 1 + start_works
    first_working_day_from_start = (
        city_day(start) if start_works else calendar.add_working_days(start, 1).at.date()
    )
    assert calendar.add_working_days(earlier.at, days).at.date() == first_working_day_from_start


def test_due_times_do_not_depend_on_the_clock():
    filed = at(2026, 12, 18)
    answers = []
    for today in (datetime(2020, 1, 1), datetime(2031, 6, 1)):
        with time_machine.travel(today.replace(tzinfo=CITY_TIME), tick=False):
            calendar = WorkingCalendar()
            answers.append((calendar.add_working_days(filed, 15), calendar.holidays(2027)))

    assert answers[0] == answers[1]
    assert answers[0][0] == Due(end_of(2027, 1, 11), provisional=True)


def test_ten_thousand_deadlines_into_a_provisional_year_take_well_under_two_seconds():
    calendar = WorkingCalendar()
    filings = [at(2026, 12, 1) + timedelta(minutes=7 * i) for i in range(10_000)]

    began = clock.perf_counter()
    dues = [calendar.add_working_days(filed, 15) for filed in filings]
    elapsed = clock.perf_counter() - began

    assert elapsed < 2.0
    assert dues[-1] == Due(end_of(2027, 2, 11), provisional=True)  # filed 2027-01-19 00:33


# Schedules: parsing, storing and loading.


def test_a_schedule_round_trips_through_json():
    schedule = read_schedule(INVENTED_2027)

    assert Schedule.parse(schedule.to_json()) == schedule
    assert schedule.holidays[date(2027, 2, 6)] == "春节"
    assert schedule.workdays[date(2027, 1, 9)] == "元旦"
    assert "INVENTED" in schedule.source


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"year": 2027, "source": "x", "holidays": {', "the schedule is not valid JSON"),
        ("[2027]", "a schedule is a JSON object"),
        (
            schedule_of(2027, {"2028-01-01": "元旦"}),
            "holidays: 2028-01-01 lies outside 2027 (only 2027 and the December before it)",
        ),
        (schedule_of(2027, {"2026-11-30": "元旦"}), "holidays: 2026-11-30 lies outside 2027"),
        (
            schedule_of(2027, {"2027-02-06": "春节"}, {"2027-02-06": "春节"}),
            "2027-02-06 is both a holiday and a make-up workday",
        ),
        (
            schedule_of(2027, {"2027-02-06": "春节"}, {"2027-02-17": "春节"}),
            "workdays: 2027-02-17 is a Wednesday, a working day anyway",
        ),
        (
            schedule_of(2027, {"2027-2-6": "春节"}),
            "holidays: '2027-2-6' is not a date written YYYY-MM-DD",
        ),
        (
            schedule_of(2027, {"2027-02-30": "春节"}),
            "holidays: '2027-02-30' is not a date written YYYY-MM-DD",
        ),
        (schedule_of(2027, {"2027-02-06": " "}), "holidays: 2027-02-06 needs a name"),
        (schedule_of(2027, {}), "the 2027 schedule names no holidays"),
        (schedule_of(True, {"2027-02-06": "春节"}), "year must be a four-digit whole number"),
        (schedule_of("2027", {"2027-02-06": "春节"}), "year must be a four-digit whole number"),
        ({**schedule_of(2027, {"2027-02-06": "春节"}), "source": ""}, "source must name"),
        ({"year": 2027, "holidays": {}}, "missing source, workdays"),
        ({**schedule_of(2027, {"2027-02-06": "春节"}), "notes": "x"}, "unknown notes"),
        (
            '{"year": 2027, "source": "x", "workdays": {},'
            ' "holidays": {"2027-02-06": "春节", "2027-02-06": "春节"}}',
            "2027-02-06 appears twice",
        ),
    ],
)
def test_a_malformed_schedule_is_refused_with_a_clear_message(document, message):
    with pytest.raises(ScheduleError) as raised:
        Schedule.parse(document)

    assert message in str(raised.value)


def test_a_schedule_may_begin_its_new_years_break_in_the_december_before(calendar):
    schedule = Schedule.parse(schedule_of(
        2027, {"2026-12-31": "元旦", "2027-01-01": "元旦"}, {"2026-12-27": "元旦"}
    ))
    loaded = WorkingCalendar([schedule])

    assert calendar.is_working_day(date(2026, 12, 31))
    assert not loaded.is_working_day(date(2026, 12, 31))
    assert loaded.is_working_day(date(2026, 12, 27))  # a Sunday, worked
    assert loaded.add_working_days(at(2026, 12, 30), 1) == Due(end_of(2027, 1, 4), False)


def test_a_loaded_schedule_replaces_the_package_for_its_year():
    corrected = Schedule.parse(schedule_of(2026, {"2026-01-01": "元旦"}))
    calendar = WorkingCalendar([corrected])

    assert calendar.is_working_day(date(2026, 2, 16))
    assert not calendar.is_working_day(date(2026, 2, 14))  # no longer a make-up Saturday
    assert calendar.is_working_day(date(2025, 10, 11))  # other years keep the package's
    assert calendar.schedule(2026) is corrected


def test_two_schedules_of_one_year_are_refused():
    schedule = read_schedule(INVENTED_2027)

    with pytest.raises(ScheduleError, match="two schedules for 2027"):
        WorkingCalendar([schedule, schedule])


def test_a_stored_schedule_is_seen_by_the_next_load(tmp_path):
    schedules = tmp_path / "calendar"
    assert not WorkingCalendar.load(schedules).is_official(2027)

    path = store_schedule(read_schedule(INVENTED_2027), schedules)
    calendar = WorkingCalendar.load(schedules)

    assert path == schedules / "2027.json"
    assert [child.name for child in schedules.iterdir()] == ["2027.json"]
    assert calendar.is_official(2027)
    assert calendar.add_working_days(at(2026, 12, 11), 15).at == end_of(2027, 1, 5)
    assert WorkingCalendar.load(None).official_years() == WorkingCalendar().official_years()


def test_loading_reads_only_files_named_after_a_year(tmp_path):
    (tmp_path / "2027.example.json").write_text("not a schedule")
    (tmp_path / "README").write_text("not a schedule")

    assert not WorkingCalendar.load(tmp_path).is_official(2027)


def test_a_file_named_after_another_year_is_refused(tmp_path):
    (tmp_path / "2028.json").write_text(INVENTED_2027.read_text("utf-8"), "utf-8")

    with pytest.raises(ScheduleError, match=r"holds the 2027 schedule; name it 2027\.json"):
        WorkingCalendar.load(tmp_path)


def test_a_broken_file_is_named_in_the_error(tmp_path):
    (tmp_path / "2027.json").write_text('{"year": 2027', "utf-8")

    with pytest.raises(ScheduleError, match=r"2027\.json: the schedule is not valid JSON"):
        WorkingCalendar.load(tmp_path)


# The operator's command line.


def settings_for(tmp_path: Path, **env: str) -> Settings:
    secret = "s" * 32
    return Settings.from_env({"HUIYIN_KEK": TEST_KEK,
                              "HUIYIN_SECRET_KEY": secret, "HUIYIN_DATA_DIR": str(tmp_path), **env})


def test_the_schedules_live_under_the_data_dir_unless_the_environment_says(tmp_path):
    assert settings_for(tmp_path).calendar_dir == tmp_path.resolve() / "calendar"
    elsewhere = settings_for(tmp_path, HUIYIN_CALENDAR_DIR=str(tmp_path / "official"))
    assert elsewhere.calendar_dir == tmp_path.resolve() / "official"


def test_calendar_load_stores_the_schedule_and_says_what_it_replaced(tmp_path, capsys):
    settings = settings_for(tmp_path)

    status = cli.calendar_load(settings, argparse.Namespace(file=str(INVENTED_2027)))

    said = capsys.readouterr().out
    assert status == 0
    assert f"stored the 2027 schedule in {settings.calendar_dir / '2027.json'}" in said
    assert "30 holiday(s), 6 make-up workday(s)" in said
    assert "it replaces the provisional calendar" in said
    stored = json.loads((settings.calendar_dir / "2027.json").read_text("utf-8"))
    assert stored["holidays"]["2027-01-04"] == "元旦"


def test_calendar_load_refuses_a_bad_file_in_one_line_and_stores_nothing(tmp_path, capsys):
    bad = tmp_path / "2027.json"
    bad.write_text(json.dumps(schedule_of(2027, {"2027-02-06": "春节"}, {"2027-02-17": "春节"})))
    settings = settings_for(tmp_path)

    status = cli.calendar_load(settings, argparse.Namespace(file=str(bad)))

    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert error.startswith(f"huiyin calendar: {bad}: workdays: 2027-02-17 is a Wednesday")
    assert not settings.calendar_dir.exists()


def test_calendar_show_says_provisional_then_official_once_loaded(tmp_path, capsys):
    settings = settings_for(tmp_path)

    calendar_cli.show_calendar(settings, argparse.Namespace(year=2027))
    before = capsys.readouterr().out.splitlines()
    calendar_cli.install_schedule(INVENTED_2027, settings.calendar_dir)
    calendar_cli.show_calendar(settings, argparse.Namespace(year=2027))
    after = capsys.readouterr().out.splitlines()

    assert before[0].startswith("2027: provisional")
    assert "  2027-02-05 Friday     holiday          春节" in before
    assert len(before) == 1 + 13
    assert after[0] == f"2027: official, from {read_schedule(INVENTED_2027).source}"
    assert "  2027-01-09 Saturday   make-up workday  元旦" in after
    assert len(after) == 1 + 30 + 6


def test_calendar_show_names_the_package_for_a_year_it_knows(tmp_path, capsys):
    calendar_cli.show_calendar(settings_for(tmp_path), argparse.Namespace(year=2026))

    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == f"2026: official, from chinesecalendar {chinese_calendar.__version__}"
    assert "  2026-02-28 Saturday   make-up workday  春节" in shown


def test_the_calendar_commands_are_registered():
    from complaints.cli import _parser

    load = _parser().parse_args(["calendar", "load", "2027.json"])
    show = _parser().parse_args(["calendar", "show", "2027"])

    assert (load.command, load.file) == (cli.calendar_load, "2027.json")
    assert (show.command, show.year) == (calendar_cli.show_calendar, 2027)
