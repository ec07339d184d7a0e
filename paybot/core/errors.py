"""One error tree: every error carries a code and a sentence a person understands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class PaybotError(Exception):
    """Base of every expected failure; `user_message` is safe to show to the user."""

    code: str = "error"

    def __init__(self, user_message: str, *, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code


class NotFound(PaybotError):
    code = "not_found"


class NotPermitted(PaybotError):
    code = "not_permitted"


class InvalidTransition(PaybotError):
    code = "invalid_transition"


class ConcurrentChange(PaybotError):
    """Someone else changed the payment between our read and our write."""

    code = "concurrent_change"


class Fault(StrEnum):
    """What is wrong with a payment's account, reference type or reference, or with a fix as a
    whole (core.identifiers, core.references, services.payments.fix). The payee's details have
    their own kinds (core.payee_details.Problem). The values each kind comes with follow it."""

    ACCOUNT_REQUIRED = "account_required"
    ACCOUNT_DIGITS = "account_digits"  # typed: not 11 digits, as a Norwegian account is
    ACCOUNT_CHECK_DIGIT = "account_check_digit"  # typed
    FOREIGN_ACCOUNT = "foreign_account"  # typed: not 1-34 letters and digits
    IBAN = "iban"  # typed, why (schwifty's words), cause (schwifty's exception's name)
    REFERENCE_TYPE_REQUIRED = "reference_type_required"
    REFERENCE_REQUIRED = "reference_required"  # the reference type (its value) as `type`
    KID_REQUIRED = "kid_required"
    KID_LENGTH = "kid_length"  # kid
    KID_CHARACTERS = "kid_characters"  # kid
    KID_CHECK_DIGIT = "kid_check_digit"  # kid
    CHARACTER = "character"  # code (hex), position: a character no text may hold (core.text)
    TOO_LONG = "too_long"  # limit, got
    NOTHING_GIVEN = "nothing_given"  # a fix naming no field
    NOTHING_CHANGES = "nothing_changes"  # a fix giving what the payment has


@dataclass(frozen=True)
class FieldFault:
    """Why one field was refused: `message` in English as paybot says it, `kind` and `values`
    for a view to say it in another language."""

    kind: Fault
    message: str
    values: Mapping[str, str | int] = field(default_factory=dict)


class ValidationFailed(PaybotError):
    """Input that does not hold; `errors` maps a field name to what is wrong with it, and
    `faults` (where the refusal has them) the same fields to why as a kind with values."""

    code = "validation_failed"

    def __init__(
        self,
        errors: Mapping[str, str],
        user_message: str | None = None,
        *,
        faults: Mapping[str, FieldFault] | None = None,
    ) -> None:
        self.errors = dict(errors)
        self.faults = dict(faults or {})
        message = user_message or "; ".join(f"{name}: {text}" for name, text in self.errors.items())
        super().__init__(message)

    @staticmethod
    def of_faults(faults: Mapping[str, FieldFault]) -> ValidationFailed:
        """A refusal of the fields in `faults`, each said as its fault's English."""
        errors = {name: fault.message for name, fault in faults.items()}
        return ValidationFailed(errors, faults=faults)


class ImportRejected(PaybotError):
    """A ledger file that cannot be taken; says which file, line and column."""

    code = "import_rejected"

    def __init__(self, source: str, line: int, column: str | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.problem = problem
        where = f"{source}:{line}"
        super().__init__(f"{where}: {column}: {problem}" if column else f"{where}: {problem}")


class QueryError(PaybotError):
    """A search query that cannot be understood; names the field and what it expected."""

    code = "bad_query"


class UnknownSearchField(QueryError):
    """A `word:value` term of a search query whose word is no search field (`typed`: the word
    as typed), for a view to list the fields in the person's language."""

    def __init__(self, user_message: str, *, typed: str) -> None:
        super().__init__(user_message)
        self.typed = typed


class SchemaOutdated(PaybotError):
    code = "schema_outdated"


class LimitExceeded(NotPermitted):
    """A signature above the signer's per-payment or per-day limit."""

    code = "limit_exceeded"


class InvalidOtp(PaybotError):
    """A one-time code that is wrong, expired or already used. `left`: wrong codes left before
    signing locks (0: this one locked it), where counted."""

    code = "invalid_otp"

    def __init__(self, user_message: str, *, left: int | None = None) -> None:
        super().__init__(user_message)
        self.left = left


class CodeReplayed(InvalidOtp):
    """A right code that was used already: refused, but not counted as a wrong guess."""

    code = "otp_replayed"


class OtpLocked(NotPermitted):
    """Too many wrong codes in a row: signing is locked for a while (`minutes` more)."""

    code = "otp_locked"

    def __init__(self, user_message: str, *, minutes: int | None = None) -> None:
        super().__init__(user_message)
        self.minutes = minutes


class NotEnrolled(NotPermitted):
    code = "not_enrolled"


class MissingRate(PaybotError):
    code = "missing_rate"


class DatabaseUnavailable(PaybotError):
    """The configured database cannot be used: a wrong URL, or no server there."""

    code = "database_unavailable"
