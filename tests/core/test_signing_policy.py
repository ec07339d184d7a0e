"""The rules of a signature on plain SignatureCase objects: role, approval, limits, dual control
(editors, why a second signer), the version a signer was shown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paybot.core.errors import (
    ConcurrentChange,
    InvalidTransition,
    LimitExceeded,
    MissingRate,
    NotPermitted,
    ValidationFailed,
)
from paybot.core.policy import Role
from paybot.core.signing import (
    ChangedSinceShown,
    SecondSigner,
    SignatureCase,
    SignatureOutcome,
    SignerLimits,
    WhySecond,
    check_seen,
    check_signature,
    editors_after_approval,
    editors_after_fix,
    in_company_currency,
    only_editors,
    required_signatures,
)
from paybot.core.states import Action, PaymentStatus, next_status

ME, OTHER, THIRD = 1, 2, 3
SIGNER_ROLES = frozenset({Role.SIGNER})
NO_LIMITS = SignerLimits()


def a_case(**overrides: Any) -> SignatureCase:
    values: dict[str, Any] = {
        "payment_id": 7,
        "status": PaymentStatus.PROPOSED,
        "amount_company": Decimal("1250.00"),
        "company_currency": "NOK",
        "approval_required": False,
        "account_changed": False,
        "dual_control_threshold": None,
        "editors": frozenset(),
        "signers": frozenset(),
    }
    values.update(overrides)
    return SignatureCase(**values)


def check(
    case: SignatureCase,
    *,
    signer: int = ME,
    roles: frozenset[Role] = SIGNER_ROLES,
    limits: SignerLimits = NO_LIMITS,
    signed_today: Decimal = Decimal(0),
) -> SignatureOutcome:
    return check_signature(
        case, signer=signer, roles=roles, limits=limits, signed_today=signed_today
    )


# Role and approval


def test_a_signer_signs_an_ordinary_payment_alone() -> None:
    outcome = check(a_case())
    assert (outcome.required, outcome.collected, outcome.complete) == (1, 1, True)


@pytest.mark.parametrize(
    "roles",
    [frozenset(), frozenset({Role.VIEWER}), frozenset({Role.APPROVER}), frozenset({Role.ADMIN})],
)
def test_signing_needs_the_signer_role(roles: frozenset[Role]) -> None:
    with pytest.raises(NotPermitted, match="needs the signer role") as refused:
        check(a_case(), roles=roles)
    assert not isinstance(refused.value, LimitExceeded)
    assert "payment 7" in refused.value.user_message


def test_a_signer_with_other_roles_too_may_sign() -> None:
    assert check(a_case(), roles=frozenset({Role.APPROVER, Role.SIGNER})).complete


def test_when_approval_is_required_a_proposal_cannot_be_signed() -> None:
    with pytest.raises(ValidationFailed, match="Payment 7 must be approved before it is signed"):
        check(a_case(approval_required=True))


def test_when_approval_is_required_an_approved_payment_can_be_signed() -> None:
    assert check(a_case(approval_required=True, status=PaymentStatus.APPROVED)).complete


def test_without_required_approval_a_proposal_can_be_signed() -> None:
    assert check(a_case(approval_required=False, status=PaymentStatus.PROPOSED)).complete


def test_the_role_is_checked_before_the_approval() -> None:
    with pytest.raises(NotPermitted):
        check(a_case(approval_required=True), roles=frozenset({Role.VIEWER}))


# Limits


def test_amount_above_the_per_payment_limit_is_refused_with_a_sentence() -> None:
    case = a_case(amount_company=Decimal("250000.00"))
    with pytest.raises(LimitExceeded) as refused:
        check(case, limits=SignerLimits(per_payment=Decimal("100000.00")))
    assert refused.value.user_message == (
        "NOK 250,000.00 is above your limit of NOK 100,000.00 per payment (payment 7)."
    )
    assert refused.value.code == "limit_exceeded"
    assert isinstance(refused.value, NotPermitted)


def test_amount_equal_to_the_per_payment_limit_is_allowed() -> None:
    case = a_case(amount_company=Decimal("100000.00"))
    assert check(case, limits=SignerLimits(per_payment=Decimal("100000.00"))).complete


def test_the_day_total_may_reach_the_per_day_limit_exactly() -> None:
    limits = SignerLimits(per_day=Decimal("1000.00"))
    case = a_case(amount_company=Decimal("400.00"))
    assert check(case, limits=limits, signed_today=Decimal("600.00")).complete


def test_going_above_the_per_day_limit_is_refused_saying_what_is_left() -> None:
    limits = SignerLimits(per_day=Decimal("1000.00"))
    case = a_case(amount_company=Decimal("600.00"))
    with pytest.raises(LimitExceeded) as refused:
        check(case, limits=limits, signed_today=Decimal("600.00"))
    assert refused.value.user_message == (
        "Signing NOK 600.00 (payment 7) would take you above your limit of NOK 1,000.00 per day; "
        "NOK 400.00 is left today."
    )


def test_what_is_left_today_is_never_negative() -> None:
    limits = SignerLimits(per_day=Decimal("1000.00"))
    with pytest.raises(LimitExceeded, match="NOK 0.00 is left today"):
        check(a_case(amount_company=Decimal("1.00")), limits=limits, signed_today=Decimal("1500"))


def test_a_single_payment_above_the_per_day_limit_is_refused_on_an_empty_day() -> None:
    limits = SignerLimits(per_day=Decimal("1000.00"))
    with pytest.raises(LimitExceeded, match="per day"):
        check(a_case(amount_company=Decimal("1000.01")), limits=limits)


def test_the_per_payment_limit_is_checked_before_the_per_day_limit() -> None:
    limits = SignerLimits(per_payment=Decimal("100.00"), per_day=Decimal("50.00"))
    with pytest.raises(LimitExceeded, match="per payment"):
        check(a_case(amount_company=Decimal("200.00")), limits=limits)


def test_no_limits_means_any_amount() -> None:
    case = a_case(amount_company=Decimal("99999999.99"))
    assert check(case, signed_today=Decimal("99999999.99")).complete


def test_limits_are_in_the_company_currency() -> None:
    case = a_case(amount_company=Decimal("2500.00"), company_currency="SEK")
    with pytest.raises(LimitExceeded, match=r"^SEK 2,500.00 is above your limit of SEK 2,000.00"):
        check(case, limits=SignerLimits(per_payment=Decimal("2000.00")))


# Dual control


def test_a_changed_account_needs_two_signatures() -> None:
    case = a_case(account_changed=True)
    assert required_signatures(case, ME) == 2
    outcome = check(case)
    assert (outcome.required, outcome.collected, outcome.complete) == (2, 1, False)


def test_a_second_distinct_signer_completes_a_changed_account() -> None:
    outcome = check(a_case(account_changed=True, signers=frozenset({OTHER})))
    assert (outcome.required, outcome.collected, outcome.complete) == (2, 2, True)


def test_the_same_signer_cannot_sign_twice() -> None:
    case = a_case(account_changed=True, status=PaymentStatus.APPROVED, signers=frozenset({ME}))
    with pytest.raises(NotPermitted, match="signed payment 7 already"):
        check(case)


@pytest.mark.parametrize(
    ("amount", "required"),
    [("100000.01", 2), ("100000.00", 1), ("99999.99", 1)],
)
def test_amounts_above_the_dual_control_threshold_need_two_signatures(
    amount: str, required: int
) -> None:
    case = a_case(amount_company=Decimal(amount), dual_control_threshold=Decimal("100000.00"))
    assert required_signatures(case, ME) == required


def test_without_a_threshold_any_amount_needs_one_signature() -> None:
    case = a_case(amount_company=Decimal("99999999.99"), dual_control_threshold=None)
    assert required_signatures(case, ME) == 1


def test_an_editor_cannot_be_the_only_signer() -> None:
    case = a_case(editors=frozenset({ME}))
    assert required_signatures(case, ME) == 2
    outcome = check(case)
    assert not outcome.complete and outcome.why.reasons == (SecondSigner.OWN_CHANGE,)


def test_every_editor_is_held_not_only_the_last() -> None:
    case = a_case(editors=frozenset({ME, OTHER}))
    assert not check(case, signer=ME).complete
    assert not check(case, signer=OTHER).complete


def test_someone_who_did_not_edit_may_sign_alone() -> None:
    """The change was made by one person and let through by another: two people, as when a
    non-editor approves it (which clears the editors)."""
    case = a_case(editors=frozenset({OTHER}))
    assert required_signatures(case, ME) == 1
    assert check(case).complete


def test_someone_who_did_not_edit_completes_a_payment_an_editor_signed_first() -> None:
    case = a_case(
        editors=frozenset({OTHER}), status=PaymentStatus.APPROVED, signers=frozenset({OTHER})
    )
    outcome = check(case)
    assert (outcome.required, outcome.collected, outcome.complete) == (2, 2, True)


def test_an_editor_completes_a_payment_someone_who_did_not_edit_signed_first() -> None:
    case = a_case(
        editors=frozenset({ME}), status=PaymentStatus.APPROVED, signers=frozenset({OTHER})
    )
    assert check(case).complete


def test_two_editors_are_not_two_independent_signers() -> None:
    case = a_case(
        editors=frozenset({ME, OTHER}), status=PaymentStatus.APPROVED, signers=frozenset({OTHER})
    )
    with pytest.raises(NotPermitted) as refused:
        check(case)
    assert refused.value.user_message == (
        "Payment 7 needs a signature from someone who did not change its account or reference: "
        "you changed it, and so did everyone who has signed it so far."
    )
    assert check(case, signer=THIRD).complete


@pytest.mark.parametrize(
    ("editors", "signers", "signer", "expected"),
    [
        ({ME}, set(), ME, False),  # the first signature: one of two
        ({ME, OTHER}, {OTHER}, ME, True),
        ({ME}, {OTHER}, ME, False),  # OTHER did not edit
        ({OTHER}, {OTHER}, ME, False),  # ME did not edit
        (set(), {OTHER}, ME, False),
    ],
)
def test_only_editors_would_sign(
    editors: set[int], signers: set[int], signer: int, expected: bool
) -> None:
    assert only_editors(editors, signers, signer) is expected


def test_a_fix_adds_the_fixer_once_in_the_order_they_came() -> None:
    assert editors_after_fix((), ME) == (ME,)
    assert editors_after_fix((ME,), OTHER) == (ME, OTHER)
    assert editors_after_fix((ME, OTHER), ME) == (ME, OTHER)


def test_an_approval_by_someone_else_clears_the_editors_and_by_an_editor_does_not() -> None:
    assert editors_after_approval((ME, OTHER), THIRD) == ()
    assert editors_after_approval((ME, OTHER), OTHER) == (ME, OTHER)
    assert editors_after_approval((), ME) == ()


def test_collected_counts_the_standing_signatures_plus_this_one() -> None:
    case = a_case(account_changed=True, signers=frozenset({OTHER, THIRD}))
    assert check(case).collected == 3


def test_a_first_signature_names_every_rule_that_asks_for_a_second() -> None:
    case = a_case(
        account_changed=True,
        amount_company=Decimal("150000.00"),
        dual_control_threshold=Decimal("100000"),
        editors=frozenset({ME}),
    )
    why = check(case).why
    assert why == WhySecond(
        (SecondSigner.ACCOUNT_CHANGED, SecondSigner.ABOVE_THRESHOLD, SecondSigner.OWN_CHANGE),
        Decimal("100000.00"),
        "NOK",
    )
    assert why.sentence() == (
        "the account differs from the supplier's registered account or the account it was last "
        "paid to; the amount is above the company's dual-control threshold of NOK 100,000.00; "
        "and you changed the account or reference"
    )
    assert WhySecond.from_details(why.to_details()) == why


def test_one_signature_that_is_enough_gives_no_reasons() -> None:
    outcome = check(a_case(editors=frozenset({OTHER})))
    assert outcome.complete and not outcome.why and outcome.why.sentence() == ""


@pytest.mark.parametrize(
    ("case", "sentence"),
    [
        (
            a_case(account_changed=True),
            "the account differs from the supplier's registered account or the account it was "
            "last paid to",
        ),
        (
            a_case(amount_company=Decimal("100000.01"), dual_control_threshold=Decimal("1E+5")),
            "the amount is above the company's dual-control threshold of NOK 100,000.00",
        ),
        (a_case(editors=frozenset({ME})), "you changed the account or reference"),
    ],
)
def test_each_rule_is_named_alone(case: SignatureCase, sentence: str) -> None:
    assert check(case).why.sentence() == sentence


def test_signing_again_is_refused_naming_why_a_second_signer_is_needed() -> None:
    case = a_case(editors=frozenset({ME}), status=PaymentStatus.APPROVED, signers=frozenset({ME}))
    with pytest.raises(NotPermitted) as refused:
        check(case)
    assert refused.value.user_message == (
        "You have signed payment 7 already; it needs a second signer because you changed the "
        "account or reference."
    )


@pytest.mark.parametrize("details", [None, {}, "x", {"reasons": ["what"], "threshold": "x"}])
def test_reasons_read_back_from_odd_details_are_left_out(details: object) -> None:
    assert WhySecond.from_details(details) == WhySecond()


# The version a signer was shown


def test_a_signature_for_the_version_shown_or_none_said_passes() -> None:
    check_seen(7, 2, 2)
    check_seen(7, None, 5)


def test_a_signature_for_another_version_is_refused_with_a_sentence() -> None:
    with pytest.raises(ChangedSinceShown) as refused:
        check_seen(7, 1, 2)
    assert isinstance(refused.value, ConcurrentChange)
    assert refused.value.user_message == "Payment 7 changed since you opened this — look again."
    assert refused.value.code == "changed_since_shown"


def test_outcome_is_complete_when_enough_signatures_are_collected() -> None:
    assert SignatureOutcome(required=2, collected=2).complete
    assert SignatureOutcome(required=1, collected=2).complete
    assert not SignatureOutcome(required=2, collected=1).complete


# Currency


def test_an_amount_in_the_company_currency_is_taken_as_it_is() -> None:
    assert in_company_currency(Decimal("1250.00"), "NOK", "NOK", None) == Decimal("1250.00")


def test_an_amount_in_another_currency_is_converted_at_the_rate_and_rounded_to_ore() -> None:
    converted = in_company_currency(Decimal("100.00"), "EUR", "NOK", Decimal("11.456789"))
    assert converted == Decimal("1145.68")
    assert converted.as_tuple().exponent == -2


def test_a_conversion_rounds_to_the_company_currency_exponent() -> None:
    assert in_company_currency(Decimal("10.00"), "EUR", "JPY", Decimal("163.456")) == Decimal(
        "1635"
    )


def test_no_known_rate_is_refused_not_guessed() -> None:
    with pytest.raises(MissingRate, match="no exchange rate for EUR to NOK") as refused:
        in_company_currency(Decimal("100.00"), "EUR", "NOK", None)
    assert "Nothing was signed" in refused.value.user_message
    assert refused.value.code == "missing_rate"


def test_the_per_payment_limit_applies_to_the_converted_amount() -> None:
    amount = in_company_currency(Decimal("10000.00"), "EUR", "NOK", Decimal("11.5"))
    case = replace(a_case(), amount_company=amount)
    with pytest.raises(LimitExceeded, match=r"^NOK 115,000.00 is above your limit"):
        check(case, limits=SignerLimits(per_payment=Decimal("100000.00")))


# Sequences of edits, approvals and signatures by a few people


@dataclass
class Payment:
    """One payment as the services drive it, using core's rules only."""

    account_changed: bool
    above_threshold: bool
    status: PaymentStatus = PaymentStatus.PROPOSED
    editors: tuple[int, ...] = ()
    signers: frozenset[int] = frozenset()
    # The model's own account of who changed it since the last approval by someone else.
    changed_since_check: list[int] = field(default_factory=list)

    def fix(self, person: int) -> None:
        self.status = next_status(self.status, Action.FIX)
        self.status = PaymentStatus.PROPOSED  # a fix voids approval and signatures
        self.editors = editors_after_fix(self.editors, person)
        self.signers = frozenset()
        if person not in self.changed_since_check:
            self.changed_since_check.append(person)

    def approve(self, person: int) -> None:
        self.status = next_status(self.status, Action.APPROVE)
        self.editors = editors_after_approval(self.editors, person)
        if person not in self.changed_since_check:
            self.changed_since_check = []

    def sign(self, person: int) -> None:
        case = a_case(
            status=self.status,
            account_changed=self.account_changed,
            amount_company=Decimal("200000.00" if self.above_threshold else "1000.00"),
            dual_control_threshold=Decimal("100000.00"),
            editors=frozenset(self.editors),
            signers=self.signers,
        )
        next_status(self.status, Action.SIGN)
        outcome = check(case, signer=person)
        self.signers |= {person}
        self.status = PaymentStatus.DUE if outcome.complete else PaymentStatus.APPROVED
        if not outcome.complete:
            assert outcome.why or not self.signers.isdisjoint(self.editors)


PEOPLE = st.integers(min_value=1, max_value=3)
STEPS = st.lists(st.tuples(st.sampled_from(["fix", "approve", "sign"]), PEOPLE), max_size=10)


@settings(max_examples=1000, deadline=None)
@given(account_changed=st.booleans(), above_threshold=st.booleans(), steps=STEPS)
# The reported hole: S1 puts in their own account, an approver corrects the reference, S1 signs.
@example(False, False, [("fix", 1), ("fix", 2), ("sign", 1)])
# Two editors sign.
@example(False, False, [("fix", 1), ("fix", 2), ("sign", 1), ("sign", 2)])
def test_no_payment_becomes_due_unless_someone_other_than_each_editor_signed_it(
    account_changed: bool, above_threshold: bool, steps: list[tuple[str, int]]
) -> None:
    payment = Payment(account_changed, above_threshold)
    for what, person in steps:
        if payment.status is PaymentStatus.DUE:
            break
        try:
            getattr(payment, what)(person)
        except (NotPermitted, ValidationFailed) as refused:
            assert refused.user_message  # a refusal is a sentence, and nothing changed
        except InvalidTransition:
            pass  # a step its state does not allow: the services refuse it too
        assert list(payment.editors) == payment.changed_since_check
    if payment.status is PaymentStatus.DUE:
        for editor in payment.editors:
            assert payment.signers - {editor}, f"only {editor}, an editor, signed"
        if payment.editors:
            assert payment.signers - set(payment.editors), "no signer who did not edit"
        if account_changed or above_threshold:
            assert len(payment.signers) >= 2
