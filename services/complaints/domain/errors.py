"""Domain errors: every broken rule has a name, so the edge can say which one."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused by the domain. `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidValueError(DomainError):
    """A value is well-formed but not acceptable (an unknown department, say)."""

    code = "invalid_value"


class CaseStateError(DomainError):
    """The command does not fit the state the case is in."""

    code = "invalid_state"

    def __init__(self, command: str, state: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"cannot {command.replace('_', ' ')} a case that is {state.replace('_', ' ')}",
            command=command,
            state=state,
            allowed_states=list(allowed),
        )


class CaseRuleError(DomainError):
    """A business rule refused the command; `rule` names it."""

    code = "rule_violated"

    def __init__(self, rule: str, message: str, **details: object) -> None:
        super().__init__(message, rule=rule, **details)
        self.rule = rule
