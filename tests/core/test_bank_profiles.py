"""Bank profiles: their names, which bank a name or BIC means, their rules, and a Norwegian
account's bank BIC."""

from __future__ import annotations

import pytest
from stdnum.no import kontonr

from paybot.core.bank_profiles import (
    DANSKE_BANK,
    DNB,
    GENERIC,
    HANDELSBANKEN,
    NORDEA,
    PROFILE_NAMES,
    PROFILES,
    SPAREBANK_1,
    AddressFormat,
    BankProfile,
    CharacterSet,
    UnknownBankProfile,
    debtor_bic,
    profile_for_bank,
    profile_for_bic,
    profile_named,
)
from paybot.core.errors import PaybotError
from paybot.core.payment_types import ChargeBearer, PaymentType

# --- names ----------------------------------------------------------------------------------------


def test_there_is_a_profile_for_each_large_norwegian_bank_and_a_generic_one() -> None:
    names = ("generic", "dnb", "nordea", "sparebank1", "handelsbanken", "danskebank")
    assert PROFILE_NAMES == names
    assert [PROFILES[name] for name in PROFILE_NAMES] == [
        GENERIC,
        DNB,
        NORDEA,
        SPAREBANK_1,
        HANDELSBANKEN,
        DANSKE_BANK,
    ]


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=PROFILE_NAMES)
def test_a_profile_name_fits_the_stored_column_and_finds_its_profile(profile: BankProfile) -> None:
    assert len(profile.name) <= 20  # company_bank_accounts.profile is a String(20)
    assert profile.name == profile.name.casefold().strip()
    assert profile_named(profile.name) is profile
    assert profile_named(f"  {profile.name.upper()} ") is profile
    assert profile.display_name


def test_an_unknown_profile_name_is_refused_with_the_names_there_are() -> None:
    with pytest.raises(UnknownBankProfile) as refused:
        profile_named("Sbanken")
    assert isinstance(refused.value, PaybotError)
    assert refused.value.code == "unknown_bank_profile"
    message = refused.value.user_message
    assert "'Sbanken'" in message
    assert all(name in message for name in PROFILE_NAMES)


@pytest.mark.parametrize(
    ("bank", "profile"),
    [
        ("DNB", DNB),
        ("DNB Bank ASA", DNB),
        ("Den norske Bank", DNB),
        ("Nordea", NORDEA),
        ("Nordea Bank Abp, filial i Norge", NORDEA),
        ("SpareBank 1", SPAREBANK_1),
        ("Sparebank1 SR-Bank", SPAREBANK_1),
        ("SpareBank 1 Østlandet", SPAREBANK_1),
        ("sparebank 1 nord-norge", SPAREBANK_1),
        ("Handelsbanken", HANDELSBANKEN),
        ("Svenska Handelsbanken AB, filial Oslo", HANDELSBANKEN),
        ("Danske Bank", DANSKE_BANK),
        ("Fokus Bank", DANSKE_BANK),
        # Banks without a profile, or with a name that only looks like one.
        ("Sparebanken Vest", GENERIC),
        ("Sparebank 12", GENERIC),
        ("Storebrand Bank", GENERIC),
        ("", GENERIC),
        (None, GENERIC),
    ],
)
def test_the_profile_follows_from_the_banks_name(bank: str | None, profile: BankProfile) -> None:
    assert profile_for_bank(bank) is profile


@pytest.mark.parametrize(
    ("bic", "profile"),
    [
        ("DNBANOKK", DNB),
        ("DNBANOKKXXX", DNB),
        ("NDEANOKK", NORDEA),
        ("SHEDNO22", HANDELSBANKEN),
        ("DABANO22", DANSKE_BANK),
        ("SPRONO22", GENERIC),  # SpareBank 1 has no one BIC
        ("COBADEFFXXX", GENERIC),
        (None, GENERIC),
    ],
)
def test_the_profile_follows_from_the_banks_bic(bic: str | None, profile: BankProfile) -> None:
    assert profile_for_bic(bic) is profile


# --- rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=PROFILE_NAMES)
def test_sepa_is_always_slev_and_cross_border_shar_unless_the_payer_chose(
    profile: BankProfile,
) -> None:
    for requested in (None, "DEBT", "CRED", "SHAR"):
        assert profile.charge_bearer(PaymentType.SEPA, requested) is ChargeBearer.SLEV
        # A payee's choice is for payments abroad: at home the profile decides.
        assert profile.charge_bearer(PaymentType.DOMESTIC, requested) is ChargeBearer.DEBT
    assert profile.charge_bearer(PaymentType.CROSS_BORDER) is ChargeBearer.SHAR
    for requested in ("DEBT", "CRED", "SHAR"):
        assert profile.charge_bearer(PaymentType.CROSS_BORDER, requested) == requested


@pytest.mark.parametrize("requested", ["SLEV", "debt", "", "OUR"])
def test_a_charge_bearer_no_payer_can_choose_is_refused(requested: str) -> None:
    with pytest.raises(ValueError, match="DEBT, CRED or SHAR"):
        DNB.charge_bearer(PaymentType.CROSS_BORDER, requested)


def test_only_the_generic_profile_sends_notprovided_for_the_debtor_agent() -> None:
    # Every named bank's BIC follows from the account's bank code, so its file names it.
    assert GENERIC.debtor_agent_not_provided
    assert not any(p.debtor_agent_not_provided for p in PROFILES.values() if p is not GENERIC)


def test_a_profile_takes_its_own_bics_and_one_without_bics_any() -> None:
    assert DNB.allows_debtor_bic("DNBANOKK") and DNB.allows_debtor_bic("DNBANOKKXXX")
    assert not DNB.allows_debtor_bic("NDEANOKK")
    assert GENERIC.allows_debtor_bic("NDEANOKK") and SPAREBANK_1.allows_debtor_bic("SPRONO22")


def test_profiles_differ_in_the_domestic_character_set_where_the_guides_do() -> None:
    assert NORDEA.domestic_characters is CharacterSet.LATIN_1  # Nordea MIG: ISO-8859-1 only
    others = [p for p in PROFILES.values() if p is not NORDEA]
    assert {p.domestic_characters for p in others} == {CharacterSet.BSK}
    assert {p.address_format for p in PROFILES.values()} == {AddressFormat.STRUCTURED}


def test_character_sets_nest_as_the_guides_describe() -> None:
    basic, bsk, latin_1 = (charset.characters for charset in CharacterSet)
    assert basic == frozenset(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
    )
    assert basic < bsk and basic < latin_1
    assert set("æøåÆØÅéüß&@§%=") <= bsk
    assert bsk - latin_1 == {"đ", "Đ"}  # BSK's Croatian d is not in ISO-8859-1
    assert all(char.encode("latin-1") for char in latin_1)
    assert all(char.isprintable() and char != "\u00a0" for char in latin_1)
    assert "\u00ad" not in latin_1  # the soft hyphen is invisible


# --- the BIC of a Norwegian account's bank ------------------------------------------------------


def _valid(prefix: str) -> str:
    """An account at the bank code `prefix` with a valid check digit."""
    for body in range(1, 10**6):
        account = f"{prefix}{body:06d}"
        for digit in "0123456789":
            if kontonr.is_valid(account + digit):
                return account + digit
    raise AssertionError(prefix)


@pytest.mark.parametrize(
    ("account", "bic"),
    [
        ("86011117947", "DABANO22"),
        ("8601.11.17947", "DABANO22"),
        ("NO9386011117947", "DABANO22"),
        ("NO93 8601 1117 947", "DABANO22"),
        ("15030100007", "DNBANOKK"),
        (_valid("6011"), "NDEANOKK"),
        (_valid("9001"), "SHEDNO22"),
        (_valid("3201"), "SPRONO22"),
    ],
)
def test_debtor_bic_is_found_from_the_accounts_bank_code(account: str, bic: str) -> None:
    assert debtor_bic(account) == bic


@pytest.mark.parametrize(
    "account",
    [
        None,
        "",
        "86011117948",  # wrong check digit
        "NO9486011117947",  # wrong IBAN check digits
        "DE89370400440532013000",  # not Norwegian
        "1234",
        _valid("0001"),  # a bank code the register does not know
    ],
)
def test_debtor_bic_is_none_where_it_cannot_be_known(account: str | None) -> None:
    assert debtor_bic(account) is None
