"""Every id Slack knows paybot by: commands, events, actions and view callbacks.

The manifest lists the commands and events; a test checks that every action and view callback
here has a listener and that no listener uses an id that is not here.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    BANK = "/bank"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"


class Act(StrEnum):
    """Buttons and menus. Their values carry a payment id (or ids) and nothing to trust."""

    APPROVE = "payment.approve"
    SIGN = "payment.sign"  # opens the sign modal for one payment
    SIGN_AGAIN = "payment.sign_again"  # a failed payment, after a fix
    MORE = "payment.more"  # overflow: details, fix, delete
    DELETE = "payment.delete"  # a button with a confirm dialog (Home, alerts)
    RESTORE = "payment.restore"
    DETAILS = "payment.details"
    FIX = "payment.fix"
    SIGN_ALL_BLUE = "proposals.sign_all_blue"
    MONEY_LEFT = "missing.money_left"  # "did the money leave?" on a payment with no return
    MONEY_NOT_LEFT = "missing.money_not_left"
    HOLD_PAID = "hold.paid"  # a payment On hold: paid once, any other send stopped
    HOLD_NOT_PAID = "hold.not_paid"  # ... or not paid at all, every send stopped
    POST = "payment.post"  # a paid payment to the ledger (value: "<org no>:<payment id>")
    POST_BATCH = "batch.post"  # a paid batch, from its alert (value: "<org no>:<batch number>")
    HOME_REFRESH = "home.refresh"
    # An unmatched incoming payment (value: "<org no>:<incoming payment id>:<version>").
    INCOMING_POST = "incoming.post"  # opens the Post to account modal
    INCOMING_MATCH = "incoming.match"  # opens the Match to invoice modal
    # A payment posted or matched by hand (same value): undone, after Slack's confirm dialog.
    INCOMING_UNDO = "incoming.undo"


class View(StrEnum):
    """Modal callback ids."""

    SIGN = "sign"
    FIX = "fix"
    DETAILS = "details"
    DELETE = "delete"  # the confirm step of Delete from the overflow menu
    SIGN_ALL_BLUE = "sign_all_blue"
    SEARCH = "search"
    ENROLL = "enroll"
    LIMITS = "limits"
    INCOMING_POST = "incoming_post"
    INCOMING_MATCH = "incoming_match"


class Block(StrEnum):
    """Input block ids inside modals (errors are attached to these)."""

    CODE = "code"
    ACCOUNT = "account"
    REFERENCE_TYPE = "reference_type"
    REFERENCE = "reference"
    SEARCH_TO = "to"
    SEARCH_COMPANY = "company"
    SEARCH_AMOUNT = "amount"
    SEARCH_DUE = "due"  # the first due date (from)
    SEARCH_DUE_TO = "due_to"  # an input block holds one element: the last due date has its own
    SEARCH_STATUS = "status"
    SEARCH_CURRENCY = "currency"
    LIMIT_USER = "user"
    LIMIT_PER_PAYMENT = "per_payment"
    LIMIT_PER_DAY = "per_day"
    GL_ACCOUNT = "gl_account"
    POST_TEXT = "post_text"
    CUSTOMER = "customer"
    INVOICE = "invoice"


class Overflow(StrEnum):
    """Values of the overflow menu's options (followed by ":<payment id>")."""

    DETAILS = "details"
    FIX = "fix"
    DELETE = "delete"
