"""The case keys channel from the complaints side: what key rotation republishes.

The relay publishes each case's key as its events need it (`complaints.streaming.relay`);
after `huiyin keys rotate` re-wraps keys under a new KEK, the channel must carry the new
wrappings before the old KEK is discarded, or a consumer reading an old one could not
unwrap it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from uuid import UUID

from complaints.application.service import Complaints
from shared.stream.base import Publisher
from shared.stream.keys import publish_case_keys

BATCH = 500


def republish_case_keys(app: Complaints, publisher: Publisher, case_ids: Iterable[UUID]) -> int:
    """Publish the wrapped keys of these cases as the store holds them now; how many.

    Read from the store at the time of publishing, so a key erased meanwhile is not put
    back on the channel. Idempotent: a key published again replaces itself.
    """
    published = 0
    ids = iter(case_ids)
    while batch := list(islice(ids, BATCH)):
        published += publish_case_keys(publisher, _current(app, batch))
    return published


def _current(app: Complaints, case_ids: Sequence[UUID]):
    return app.recorder.select_case_keys(case_ids).values()
