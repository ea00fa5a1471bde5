"""The case index as the web layer and the CLI read it: queues, search, counts and lag."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic, sleep
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, Tracking
from eventsourcing.utils import Environment

from complaints.adapters.store_config import store_env
from complaints.application.service import Complaints
from complaints.domain.values import Status
from complaints.readmodels.case_index.blind_index import (
    CREDIT_CODE,
    EMAIL,
    EXTERNAL_USER,
    PHONE,
    BlindIndex,
)
from complaints.readmodels.case_index.filters import (
    CLOSING_ORDER,
    QUEUE_ORDER,
    SEARCH_ORDER,
    CaseFilter,
    counted,
)
from complaints.readmodels.case_index.postgres import CaseIndexPostgresRecorder
from complaints.readmodels.case_index.rows import CaseRow, enterprise_key
from complaints.readmodels.case_index.search_text import query_terms
from complaints.readmodels.case_index.sqlite import CaseIndexSQLiteRecorder
from complaints.readmodels.case_index.texts import FIRST_KEY, TextPage
from complaints.readmodels.projection import Lag, parts
from complaints.settings import Settings
from shared.locale import CITY_TIME

# A page waits at most this long for the index to take in what the store held when it was
# asked (a reader's own command a moment before: an assignment, then their queue), and only
# while the index is close behind. Past either, the page answers as it stands, its `lag`
# saying how far behind. The projection is woken by the commit and takes an event in within
# milliseconds, so the page looks again soon, then twice as long after each look, up to a
# ceiling: a handful of look-ups however long it waits.
CATCH_UP_SECONDS = 1.0
CATCH_UP_WITHIN = 100  # positions
CATCH_UP_FIRST_LOOK_SECONDS = 0.002
CATCH_UP_POLL_SECONDS = 0.05

MAX_PAGE_SIZE = 500
# Rows with their text read at once: a description is at most a few thousand characters.
TEXT_PAGE_SIZE = 5_000
# What a period's hot issues read of each case; the keyed hashes tell its filers apart.
FILER_KEYS = ("credit_code_hash", "external_user_hash", "phone_hash", "email_hash")
HOT_FIELDS = ("reference", "subject", "description", "category", "lead_department",
              "filed_at", "status", "deadline_state", "review_stage", *FILER_KEYS)
# The deepest a reader's page may start: past it, narrow the search. Far below the 64-bit
# OFFSET of SQLite and PostgreSQL, which a larger number would overflow.
MAX_OFFSET = 100_000
# A catch-up far behind (PostgreSQL) takes the cases in this many parts, each in a process of
# its own (`complaints.processes`); while they run, the index has reached the least of their
# positions.
PARTS = 2


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int  # how many match in all, counted up to COUNTED_UP_TO
    lag: Lag
    total_exact: bool = True  # False: more than `total` match


class CaseIndexRecorder(Protocol):
    """What the SQLite and the PostgreSQL case index recorders both do."""

    def create_table(self) -> None: ...

    def recreate_tables(self) -> None: ...

    def apply(self, rows: Sequence[CaseRow], tracking: Tracking, *, after: int,
              part: bool = False) -> None: ...

    def find(
        self, case_filter: CaseFilter, order: str, page: tuple[int, int], *, count: bool = True
    ) -> tuple[list[dict[str, Any]], int]: ...

    def status_counts(self, case_filter: CaseFilter) -> dict[str, int]: ...

    def state_counts(
        self, first: date | None, end: date | None, department: str | None
    ) -> dict[str, int]: ...

    def outdated(self) -> bool: ...

    def closed_texts(self, after: str, limit: int) -> list[dict[str, Any]]: ...

    def texts(self, references: Sequence[str]) -> dict[str, tuple[str, str]]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def reached(self, whole: str, parts: Sequence[str] = ()) -> int: ...

    def texts_after(self, key: tuple[datetime, str], limit: int) -> TextPage: ...

    def rows(self, case_filter: CaseFilter, columns: Sequence[str]) -> list[dict[str, Any]]: ...


class CaseIndex:
    """One row per case, in the event store's own database, and what can be asked of it."""

    def __init__(
        self,
        recorder: CaseIndexRecorder,
        events: ApplicationRecorder,
        factory: InfrastructureFactory[Any],
        blind: BlindIndex,
    ) -> None:
        self.recorder = recorder
        self.events = events
        self.blind = blind
        self.application_name = Complaints.name
        # The parts a long catch-up takes the cases in, and their positions' names.
        self.parts, self.part_positions = parts(self.application_name, PARTS)
        self._factory = factory

    def queue(
        self,
        department: str,
        *,
        statuses: Iterable[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        """The cases `department` leads or co-handles, nearest deadline first, then oldest.

        Closed cases are left out unless `statuses` asks for them.
        """
        if not department:
            raise ValueError("a queue belongs to a department")
        chosen = _strings(statuses)
        case_filter = CaseFilter(
            department=department,
            statuses=chosen,
            excluded_statuses=() if chosen else (Status.CLOSED.value,),
        )
        return self._page(case_filter, QUEUE_ORDER, limit, offset)

    def search(
        self,
        *,
        text: str | None = None,
        reference: str | None = None,
        enterprise_name: str | None = None,
        credit_code: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        external_user_id: str | None = None,
        category: str | None = None,
        status: str | Iterable[str] | None = None,
        department: str | None = None,
        filed_from: date | datetime | None = None,
        filed_to: date | datetime | None = None,
        masked_identities: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        """Cases matching every filter given, newest first.

        With `masked_identities` (a reader who sees confidential and anonymous filers
        masked), a search by enterprise name or credit code leaves those cases out.

        Every word of `text` must be in the subject, description or a reply (a Chinese run as
        written, its characters side by side);
        `enterprise_name` is a case-insensitive substring; `reference` is exact, and so are
        `credit_code`, `phone`, `email` and `external_user_id` as people write them
        differently (a credit code in small letters, a phone with or without +86, an email in
        capitals): they are found by their keyed hashes. Dates are days in the city's time
        zone, both ends included; datetimes need a time zone and are included too.
        """
        case_filter = CaseFilter(
            department=department or None,
            statuses=_strings(status),
            reference=(reference or "").strip().upper() or None,
            enterprise_key=enterprise_key(enterprise_name or "") or None,
            credit_code_hash=self.lookup(CREDIT_CODE, credit_code),
            phone_hash=self.lookup(PHONE, phone),
            email_hash=self.lookup(EMAIL, email),
            external_user_hash=self.lookup(EXTERNAL_USER, external_user_id),
            category=category or None,
            filed_from=_start_of(filed_from, "filed_from") if filed_from else None,
            filed_before=_after(filed_to) if filed_to else None,
            text_terms=tuple(query_terms(text)) if text else (),
            masked_identities=masked_identities,
        )
        return self._page(case_filter, SEARCH_ORDER, limit, offset)

    def lookup(self, kind: str, value: str | None) -> str | None:
        """The hash a look-up by `value` compares; "" (matching no case) when it names nothing."""
        if value is None or not value.strip():
            return None
        return self.blind.hash(kind, value) or ""

    def deadlines_due(self, before: datetime, states: Iterable[str]) -> Iterator[str]:
        """The ids of cases whose clock is in one of `states` and due before `before`."""
        return self._case_ids(CaseFilter(due_before=before, deadline_states=_strings(states)))

    def provisional_deadlines(self) -> Iterator[str]:
        """The ids of cases whose running clock rests on a provisional calendar."""
        return self._case_ids(CaseFilter(due_provisional=True))

    def closed_with_personal_data(
        self,
        closed_before: datetime,
        by_category: Mapping[str, datetime] | None = None,
        *,
        after: tuple[datetime, str] | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Closed cases whose personal data is kept, closed before their category's moment in
        `by_category` or else before `closed_before`: longest closed first, from just `after`
        a (closed_at, reference) of an earlier page. Each as a row (case_id, reference,
        category, closed_at…)."""
        case_filter = CaseFilter(
            closed_before=closed_before,
            closed_before_by_category=tuple(sorted((by_category or {}).items())),
            personal_data_kept=True,
            closed_after=after,
        )
        items, _total = self.recorder.find(case_filter, CLOSING_ORDER, (limit, 0), count=False)
        return items

    def closed_texts(self, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every closed case whose words are kept: reference, category, lead_department,
        subject, description; by reference, a page at a time."""
        after = ""
        while True:
            rows = self.recorder.closed_texts(after, page_size)
            yield from rows
            if len(rows) < page_size:
                return
            after = rows[-1]["reference"]

    def _case_ids(self, case_filter: CaseFilter) -> Iterator[str]:
        offset = 0
        while True:
            items, _total = self.recorder.find(
                case_filter, QUEUE_ORDER, (MAX_PAGE_SIZE, offset)
            )
            yield from (item["case_id"] for item in items)
            if len(items) < MAX_PAGE_SIZE:
                return
            offset += MAX_PAGE_SIZE

    def status_counts(
        self,
        *,
        filed_from: date | datetime | None = None,
        filed_to: date | datetime | None = None,
        department: str | None = None,
    ) -> dict[str, int]:
        """Cases in each status, every status named (0 where there are none), exactly: of
        those filed in a period (days included as in `search`) and led or co-handled by
        `department`, when given.

        Whole days (or no bounds) are read from the sums kept by filing day, a few rows a day
        whatever the size of history; moments within a day are counted from the rows."""
        if not isinstance(filed_from, datetime) and not isinstance(filed_to, datetime):
            first = filed_from or (date.min if filed_to else None)
            end = filed_to + timedelta(days=1) if filed_to else (date.max if first else None)
            counted = self.recorder.state_counts(first, end, department or None)
            return {status.value: 0 for status in Status} | counted
        case_filter = CaseFilter(
            department=department or None,
            filed_from=_start_of(filed_from, "filed_from") if filed_from else None,
            filed_before=_after(filed_to) if filed_to else None,
        )
        return {status.value: 0 for status in Status} | self.recorder.status_counts(case_filter)

    def texts_after(
        self, key: tuple[datetime, str] | None = None, limit: int = MAX_PAGE_SIZE
    ) -> TextPage:
        """Rows with their subject and description (empty once erased), changed after `key`
        (an (updated_at, case_id) a page before ended at; None: from the first), oldest change
        first: what case intelligence learns from, and takes in again as cases change."""
        if not 1 <= limit <= TEXT_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {TEXT_PAGE_SIZE}, not {limit}")
        return self.recorder.texts_after(key or FIRST_KEY, limit)

    def position(self) -> int:
        """The store position the index has taken in (0: none yet)."""
        return self._reached()

    def filed_rows(
        self, filed_from: date, filed_to: date, department: str | None = None
    ) -> list[dict[str, Any]]:
        """The cases filed on the days from `filed_from` to `filed_to` (both included, city
        time), led or co-handled by `department` if given, each with its text, state and a
        key telling its filer apart (a keyed hash of their credit code, phone, email or
        external user id; None when the index holds none: an anonymous or erased filer)."""
        case_filter = CaseFilter(
            department=department or None,
            filed_from=_start_of(filed_from, "filed_from"),
            filed_before=_after(filed_to),
        )
        rows = self.recorder.rows(case_filter, HOT_FIELDS)
        for row in rows:
            row["filer"] = next((row.pop(name) for name in FILER_KEYS if row.get(name)), None)
            for name in FILER_KEYS:
                row.pop(name, None)
        return rows

    def lag(self) -> Lag:
        # Tracked first: a head read afterwards can only make `behind` larger, never hide lag.
        tracked = self._reached()
        return Lag(tracked=tracked, head=self.events.max_notification_id() or 0)

    def caught_up(
        self, seconds: float = CATCH_UP_SECONDS, within: int = CATCH_UP_WITHIN
    ) -> Lag:
        """Wait, boundedly, until the index holds what the store held on asking; the lag."""
        lag = self.lag()
        deadline = monotonic() + seconds
        pause = CATCH_UP_FIRST_LOOK_SECONDS
        while 0 < lag.behind <= within and monotonic() < deadline:
            sleep(pause)
            pause = min(pause * 2, CATCH_UP_POLL_SECONDS)
            tracked = self._reached()
            lag = Lag(tracked=tracked, head=lag.head)  # the head as it was on asking
        return self.lag()

    def _reached(self) -> int:
        return self.recorder.reached(self.application_name, self.part_positions)

    def close(self) -> None:
        self._factory.close()

    def _page(self, case_filter: CaseFilter, order: str, limit: int, offset: int) -> Page:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}")
        if not 0 <= offset <= MAX_OFFSET:
            raise ValueError(f"offset must be between 0 and {MAX_OFFSET}, not {offset}")
        lag = self.caught_up()
        items, found = self.recorder.find(case_filter, order, (limit, offset))
        total, exact = counted(found)
        return Page(items=items, total=total, lag=lag, total_exact=exact)


def open_case_index(settings: Settings, *, create_tables: bool | None = None) -> CaseIndex:
    """The case index in the event store's database; cheap enough for each web worker.

    Creates its tables when `create_tables` (default: the settings) says so. Tables
    an earlier version made (which kept credit codes in clear, or made its words another
    way) are dropped and made anew
    empty: the projection then builds the index again from the events.
    """
    create = settings.create_tables if create_tables is None else create_tables
    env = Environment(Complaints.name, store_env(settings, create_tables=False))
    factory = InfrastructureFactory.construct(env)
    events = factory.application_recorder()
    datastore = factory.datastore  # type: ignore[attr-defined]
    recorder: CaseIndexRecorder
    if settings.postgres is None:
        recorder = CaseIndexSQLiteRecorder(datastore)
    else:
        recorder = CaseIndexPostgresRecorder(datastore)
    if create:
        if recorder.outdated():
            recorder.recreate_tables()
        else:
            recorder.create_table()
    return CaseIndex(recorder, events, factory, BlindIndex(settings.secret_key))


def _strings(values: str | Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(str(value) for value in values)


def _start_of(moment: date | datetime, name: str) -> datetime:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"{name} needs a time zone")
        return moment
    return datetime.combine(moment, time.min, tzinfo=CITY_TIME)


def _after(moment: date | datetime) -> datetime:
    """The first moment after `moment`: the next day for a date, the next microsecond else."""
    if isinstance(moment, datetime):
        return _start_of(moment, "filed_to") + timedelta(microseconds=1)
    return _start_of(moment + timedelta(days=1), "filed_to")
