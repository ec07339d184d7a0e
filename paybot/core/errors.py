"""One error tree: every error carries a code and a sentence a person understands."""

from __future__ import annotations

from collections.abc import Mapping


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


class ValidationFailed(PaybotError):
    """Input that does not hold; `errors` maps a field name to what is wrong with it."""

    code = "validation_failed"

    def __init__(self, errors: Mapping[str, str], user_message: str | None = None) -> None:
        self.errors = dict(errors)
        message = user_message or "; ".join(
            f"{field}: {text}" for field, text in self.errors.items()
        )
        super().__init__(message)


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
