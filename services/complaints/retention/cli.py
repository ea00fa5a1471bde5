"""`huiyin personal-data`: erase one case's personal data, or run the retention job once.

Exit status: 0 done (or nothing due); 1 refused by the case (erased already, or open and the
basis is not the filer's request): nothing was written; 2 unusable (no such case, malformed
retention periods, bad settings).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from complaints import processes
from complaints.application.case_application import CaseNotFoundError
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.errors import CaseRuleError, CaseStateError, DomainError
from complaints.domain.values import ErasureBasis, Role
from complaints.retention.periods import RetentionError
from complaints.settings import Settings

REFUSED = 1
UNUSABLE = 2


def erase(settings: Settings, arguments: argparse.Namespace) -> int:
    """Erase the personal data of the case named, on the basis given."""
    services = build_services(settings)
    try:
        app = services.complaints
        try:
            case_id = app.resolve_case_id(arguments.case)
            case = app.erase_personal_data(
                operator(), case_id, arguments.basis, arguments.note or ""
            )
        except (CaseRuleError, CaseStateError) as error:
            print(f"huiyin personal-data: {arguments.case}: {error.message}; nothing erased",
                  file=sys.stderr)
            return REFUSED
        except CaseNotFoundError as error:
            print(f"huiyin personal-data: {error.named_as(arguments.case).message}",
                  file=sys.stderr)
            return UNUSABLE
        except DomainError as error:
            print(f"huiyin personal-data: {error.message}", file=sys.stderr)
            return UNUSABLE
    finally:
        services.close()
    print(f"huiyin personal-data: the personal data of {case.reference} is erased "
          f"(basis {arguments.basis}); its history stays and still verifies")
    return 0


def retention(settings: Settings, arguments: argparse.Namespace) -> int:
    """Erase (or list, with --dry-run) what the retention periods say has expired."""
    try:
        done, due = processes.expire_once(settings, dry_run=arguments.dry_run)
    except RetentionError as error:
        print(f"huiyin personal-data: {error}", file=sys.stderr)
        return UNUSABLE
    if arguments.dry_run:
        for reference in due:
            print(reference)
        print(f"huiyin personal-data: {len(due)} case(s) kept past their retention period; "
              "nothing erased (dry run)")
        return 0
    print(f"huiyin personal-data: {done['erased']} case(s) erased (retention_expired), "
          f"{done['passed over']} passed over (erased or reopened meanwhile)")
    return 0


def operator() -> Principal:
    """The operator at the command line, as the history records them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Principal(actor_id=f"cli:{name}", role=Role.SYSTEM)


def add_commands(commands: Any) -> None:
    """`personal-data erase` and `personal-data retention` under `commands`."""
    about = "erase a case's personal data, or what its retention period says has expired"
    group = commands.add_parser("personal-data", help=about, description=about)
    actions = group.add_subparsers(required=True, metavar="ACTION")
    help = "erase one case's personal data (crypto-shredding: it cannot be undone)"
    one = actions.add_parser("erase", help=help, description=help)
    one.set_defaults(command=erase)
    one.add_argument("case", metavar="REFERENCE", help="a case reference (HY-2026-000123) or id")
    one.add_argument("--basis", required=True, choices=[basis.value for basis in ErasureBasis],
                     help="filer_request is the only basis on which an open case is erased")
    one.add_argument("--note", default="", help="why, in a few words (no personal data: it "
                                                "stays in the history)")
    help = "erase the personal data of closed cases kept past their category's period"
    sweep = actions.add_parser("retention", help=help, description=help)
    sweep.set_defaults(command=retention)
    sweep.add_argument("--dry-run", action="store_true",
                       help="list the cases due, erase nothing")
