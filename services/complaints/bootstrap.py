"""Builds the complaints service's parts from the settings: called once per process."""

from __future__ import annotations

from dataclasses import dataclass

from complaints.adapters.sealed_files import CaseFiles
from complaints.adapters.store_config import store_env
from complaints.application.routing import RoutingTable
from complaints.application.service import Complaints
from complaints.application.staff import StaffDirectory
from complaints.settings import Settings
from complaints.timelimits.deadlines import Deadlines


@dataclass(frozen=True)
class Services:
    settings: Settings
    routing: RoutingTable
    complaints: Complaints
    staff: StaffDirectory

    def close(self) -> None:
        self.complaints.close()


def build_services(settings: Settings, *, create_tables: bool | None = None) -> Services:
    routing = RoutingTable.of(settings.catalogue)
    complaints = Complaints(
        store_env(settings, create_tables=create_tables),
        secret_key=settings.secret_key,
        routing=routing,
        deadlines=Deadlines.load(settings.calendar_dir, settings.time_limits),
        key_ring=settings.key_ring,
        group_commit=settings.group_commit,
    )
    # A case's files go with its key: unreadable already, deleted as well.
    complaints.on_erased = (CaseFiles(settings.attachments_dir).forget,)
    return Services(settings, routing, complaints, StaffDirectory(complaints, routing))
