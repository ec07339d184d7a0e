"""What the company's bank asks of a pain.001 beyond the ISO 20022 schema: its bank profile.

Norwegian banks follow one common guideline (BSK, now Bits: "BSK implementeringsguide ISO 20022
pain.001.001.03", with its Norwegian appendix), and each publishes its own guide on top of it.
A profile holds where those guides differ, as far as paybot knows them:
- the debtor agent: the bank's BIC, and whether `DbtrAgt/FinInstnId/Othr/Id` NOTPROVIDED will
  do instead for domestic payments;
- the charge bearer of domestic payments;
- the characters names, addresses and messages of domestic payments may hold;
- how a creditor's address is written: structured elements or address lines.

Every rule below names the guide it comes from, or says "not confirmed" where the guide could not
be read. Payments abroad follow the scheme rather than the bank: SEPA credit transfers the
European Payments Council's rules (the SEPA basic Latin character set, charge bearer SLEV),
other cross-border payments SWIFT's character set (the same basic set) and charge bearer SHAR
unless the payer chose DEBT or CRED.

`debtor_bic` finds a Norwegian account's bank BIC in the bank register of Bits (IBAN and BIC of
every Norwegian bank code), as schwifty ships it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from paybot.core.banks import is_bank_named
from paybot.core.errors import PaybotError
from paybot.core.identifiers import account_problem, bic_for_iban, domestic_account
from paybot.core.payment_types import ChargeBearer, PaymentType

__all__ = [
    "DANSKE_BANK",
    "DNB",
    "GENERIC",
    "HANDELSBANKEN",
    "NORDEA",
    "PROFILES",
    "PROFILE_NAMES",
    "SPAREBANK_1",
    "AddressFormat",
    "BankProfile",
    "CharacterSet",
    "UnknownBankProfile",
    "debtor_bic",
    "held_by",
    "profile_for_bank",
    "profile_for_bic",
    "profile_named",
]

# --- character sets ------------------------------------------------------------------------------

# BSK appendix ("Appendix for BSK Implementerings Guides ISO 20022 pain.001.001.03/pain.002.001.03",
# FORMATS.md §4): always allowed. It is also the SEPA basic Latin set of the European Payments
# Council's implementation guidelines and SWIFT's character set, so it is what every SEPA and
# cross-border payment is written in.
_BASIC = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# BSK appendix: domestic and Nordic payments only may also carry these letters and signs.
_NORDIC = "áäçđéíóöúüýæøå"
_BSK = _BASIC | frozenset(_NORDIC + _NORDIC.upper() + "ß%&=@§")
# ISO-8859-1's printable characters: ASCII without its controls, and U+00A1-U+00FF without the
# soft hyphen (U+00AD, invisible). The no-break space (U+00A0) is left out: texts are written with
# plain spaces.
_LATIN_1 = frozenset(
    [chr(code) for code in range(0x20, 0x7F)]
    + [chr(code) for code in range(0xA1, 0x100) if code != 0xAD]
)


class CharacterSet(StrEnum):
    """The characters a payment's names, addresses and messages may hold."""

    BASIC = "basic"  # a-z A-Z 0-9 / - ? : ( ) . , ' + space (SEPA, SWIFT, BSK's common set)
    BSK = "bsk"  # BASIC and the Nordic letters and signs BSK allows domestic payments
    LATIN_1 = "latin-1"  # the printable characters of ISO-8859-1

    @property
    def characters(self) -> frozenset[str]:
        return _CHARACTERS[self]


_CHARACTERS = {
    CharacterSet.BASIC: _BASIC,
    CharacterSet.BSK: _BSK,
    CharacterSet.LATIN_1: _LATIN_1,
}


class AddressFormat(StrEnum):
    """How `PstlAdr` carries an address."""

    # StrtNm, BldgNb, PstCd, TwnNm and Ctry: what ISO 20022 and the CGI-MP recommend, and what
    # SWIFT's move to structured addresses asks of cross-border payments.
    STRUCTURED = "structured"
    # Ctry and two AdrLine ("street building", "post code town"), for a bank that reads no more.
    LINES = "lines"


# --- profiles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankProfile:
    """Where a bank's pain.001 guide differs from the next bank's (see the module docstring)."""

    name: str  # stored on the company's bank account (at most 20 characters), lower case
    display_name: str
    # The bank's BICs, 8 characters (the branch code left out); empty: not checked. A block's
    # debtor agent must be one of them: a file for one bank naming another is refused.
    bics: tuple[str, ...]
    # A domestic payment's debtor agent may be `Othr/Id` NOTPROVIDED where its BIC is unknown.
    # Payments abroad always name the debtor agent's BIC.
    debtor_agent_not_provided: bool
    domestic_charge_bearer: ChargeBearer
    domestic_characters: CharacterSet
    address_format: AddressFormat

    def charge_bearer(self, kind: PaymentType, requested: str | None = None) -> ChargeBearer:
        """The charge bearer to send a payment of `kind` with, where the payer asked for
        `requested` (DEBT, CRED or SHAR; None: the payment type's default).

        SEPA: always SLEV (the SEPA credit transfer rulebook leaves no choice). Domestic: the
        profile's (a payee's choice is for payments abroad). Cross-border: the payer's choice, SHAR
        by default.

        Raises:
            ValueError: `requested` is not DEBT, CRED or SHAR (SLEV belongs to SEPA alone).
        """
        if requested is not None and requested not in _CHOOSABLE:
            raise ValueError(f"charge bearer {requested!r} is not one of DEBT, CRED or SHAR")
        if kind is PaymentType.SEPA:
            return ChargeBearer.SLEV
        if kind is PaymentType.DOMESTIC:
            return self.domestic_charge_bearer
        return ChargeBearer(requested) if requested is not None else ChargeBearer.SHAR

    def allows_debtor_bic(self, bic: str) -> bool:
        """`bic` (8 or 11 characters) may stand as this bank's debtor agent."""
        return not self.bics or bic[:8] in self.bics


_CHOOSABLE = frozenset({ChargeBearer.DEBT, ChargeBearer.CRED, ChargeBearer.SHAR})

# What paybot wrote before it knew any bank: kept for banks it has no profile of.
GENERIC = BankProfile(
    name="generic",
    display_name="Generic (BSK guideline)",
    bics=(),
    # NOTPROVIDED where the company's bank BIC is unknown: paybot's behaviour before profiles;
    # not confirmed in any bank's guide.
    debtor_agent_not_provided=True,
    # DEBT, the payer paying its own bank, the usual Norwegian setting; not confirmed in BSK's
    # guide (its ChargeBearer section could not be read).
    domestic_charge_bearer=ChargeBearer.DEBT,
    # BSK appendix (FORMATS.md §4): the common set plus Nordic letters for domestic payments.
    domestic_characters=CharacterSet.BSK,
    address_format=AddressFormat.STRUCTURED,
)

DNB = BankProfile(
    name="dnb",
    display_name="DNB",
    # DNBANOKK: Bits' bank register (via schwifty) for DNB's bank codes.
    bics=("DNBANOKK",),
    # Not confirmed: DNB's pain.001 guide was not found. The bank's BIC is always known from the
    # account's bank code, so the file names it rather than NOTPROVIDED.
    debtor_agent_not_provided=False,
    domestic_charge_bearer=ChargeBearer.DEBT,  # not confirmed (DNB's guide not found)
    # BSK appendix; DNB's own character rules not confirmed.
    domestic_characters=CharacterSet.BSK,
    # Not confirmed: DNB's guide not found; structured, as ISO 20022 and the CGI-MP recommend.
    address_format=AddressFormat.STRUCTURED,
)

NORDEA = BankProfile(
    name="nordea",
    display_name="Nordea",
    bics=("NDEANOKK",),  # Bits' bank register (via schwifty)
    # Not confirmed: the DebtorAgent rows of Nordea's MIG could not be read; the BIC is known.
    debtor_agent_not_provided=False,
    domestic_charge_bearer=ChargeBearer.DEBT,  # not confirmed (Nordea's MIG not read that far)
    # Nordea "Corporate eGateway MIG pain.001.001.03" v2.6 (2020-11-30), introduction: files in
    # UTF-8, "using only the characters included in ISO-8859-1".
    domestic_characters=CharacterSet.LATIN_1,
    # Not confirmed: Nordea's "Corporate Access Payables - Appendix Norway" (2018) has a section
    # on name and address per payment type (2.4) that could not be read.
    address_format=AddressFormat.STRUCTURED,
)

SPAREBANK_1 = BankProfile(
    name="sparebank1",
    display_name="SpareBank 1",
    # The SpareBank 1 alliance is many banks, each with its own BIC (SPRONO22, SPAVNOBB, ...):
    # not checked against a list.
    bics=(),
    # Not confirmed: no SpareBank 1 pain.001 guide was found. The member bank's BIC is known
    # from the account's bank code (Bits' bank register), so the file names it.
    debtor_agent_not_provided=False,
    domestic_charge_bearer=ChargeBearer.DEBT,  # not confirmed (no SpareBank 1 guide found)
    domestic_characters=CharacterSet.BSK,  # BSK appendix; SpareBank 1's own rules not confirmed
    address_format=AddressFormat.STRUCTURED,  # not confirmed (no SpareBank 1 guide found)
)

HANDELSBANKEN = BankProfile(
    name="handelsbanken",
    display_name="Handelsbanken",
    bics=("SHEDNO22",),  # Bits' bank register (via schwifty)
    # Not confirmed: Handelsbanken's "Implementation guide ISO 20022 pain.001 version 3, Country
    # Specific Information" was found but not its Norwegian rows. The BIC is known.
    debtor_agent_not_provided=False,
    domestic_charge_bearer=ChargeBearer.DEBT,  # not confirmed
    domestic_characters=CharacterSet.BSK,  # BSK appendix; Handelsbanken's rules not confirmed
    address_format=AddressFormat.STRUCTURED,  # not confirmed
)

DANSKE_BANK = BankProfile(
    name="danskebank",
    display_name="Danske Bank",
    bics=("DABANO22",),  # Bits' bank register (via schwifty)
    # Not confirmed: "Danske Bank Guideline to payments in ISO 20022 XML format" (Norwegian
    # payment types) was found but not read that far. The BIC is known.
    debtor_agent_not_provided=False,
    domestic_charge_bearer=ChargeBearer.DEBT,  # not confirmed
    # Danske Bank takes files in ISO 8859-1, ISO 8859-15 or UTF-8 (its pain.002 MIG, FORMATS.md
    # §4), but which characters it keeps is in its MIG appendix H ("Handling of character set and
    # special characters"), not read: the BSK set, which every Norwegian bank takes.
    domestic_characters=CharacterSet.BSK,
    # Not confirmed: Danske Bank's MIG appendix D ("Truncation and transformation of address
    # fields") was not read; structured, which its CGI-MP base recommends.
    address_format=AddressFormat.STRUCTURED,
)

PROFILES: Mapping[str, BankProfile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (GENERIC, DNB, NORDEA, SPAREBANK_1, HANDELSBANKEN, DANSKE_BANK)
    }
)
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)


class UnknownBankProfile(PaybotError):
    code = "unknown_bank_profile"


def profile_named(name: str) -> BankProfile:
    """The profile called `name` (any case, e.g. "DNB" or "sparebank1").

    Raises:
        UnknownBankProfile: no profile has that name; the message lists those there are.
    """
    profile = PROFILES.get(name.strip().casefold())
    if profile is None:
        raise UnknownBankProfile(
            f"There is no bank profile {name.strip()!r}. Choose one of: {', '.join(PROFILE_NAMES)}."
        )
    return profile


# (profile, what its bank's name starts with, as core.banks.is_bank_named compares names: lower
# case letters and digits only, "SpareBank 1 SR-Bank" → "sparebank1srbank").
_NAMES: tuple[tuple[BankProfile, tuple[str, ...]], ...] = (
    (DNB, ("dnb", "dennorskebank")),
    (NORDEA, ("nordea",)),
    (SPAREBANK_1, ("sparebank1",)),
    (HANDELSBANKEN, ("handelsbanken", "svenskahandelsbanken")),
    # Danske Bank's Norwegian branch was Fokus Bank until 2012.
    (DANSKE_BANK, ("danskebank", "fokusbank")),
)


def profile_for_bank(bank: str | None) -> BankProfile:
    """The profile of the bank named `bank` ("DNB Bank ASA", "SpareBank 1 Østlandet", ...);
    GENERIC for a bank paybot has no profile of, or none named."""
    for profile, prefixes in _NAMES:
        if is_bank_named(bank, prefixes):
            return profile
    return GENERIC


def profile_for_bic(bic: str | None) -> BankProfile:
    """The profile of the bank whose BIC is `bic`; GENERIC for any other (or None)."""
    if bic:
        for profile in PROFILES.values():
            if profile.bics and bic[:8] in profile.bics:
                return profile
    return GENERIC


@lru_cache(maxsize=1024)
def debtor_bic(account: str | None) -> str | None:
    """The BIC of the bank holding a Norwegian account (an 11-digit BBAN or a NO IBAN), from
    Bits' bank register as schwifty ships it; None for any other account, an invalid one, or a
    bank code the register does not know. Good for the company's account (the debtor agent) as
    for a payee's."""
    from stdnum.no import kontonr

    bban = domestic_account(account or "")
    if len(bban) != 11 or not bban.isdigit() or account_problem(bban) is not None:
        return None
    return bic_for_iban(kontonr.to_iban(bban))


def held_by(account: str, bic: str | None) -> str | None:
    """The BIC of the bank that holds the company's `account`: the one its bank code gives, else
    `bic` (set by hand, for a bank the register does not know); a person may misname a bank,
    the bank code does not."""
    return debtor_bic(account) or bic


class ProfileSource(StrEnum):
    """How an account's profile was chosen."""

    SET = "set"  # paybot bank set --profile
    BIC = "bic"  # the bank that holds the account (its BIC, from the account's bank code)
    NAME = "name"  # the bank's name as given
    DEFAULT = "default"  # none of these: the generic profile


def account_profile(
    profile: str | None, *, bank: str | None, bic: str | None, account: str
) -> tuple[BankProfile, ProfileSource]:
    """Whose pain.001 guide an account's files follow, and why: the profile set for it, else the
    one of the bank that holds it (the BIC its bank code gives, else the one set: what a person
    may misname), else the one of its bank's name, else the generic one."""
    if profile:
        return profile_named(profile), ProfileSource.SET
    holder = profile_for_bic(held_by(account, bic))
    if holder is not GENERIC:
        return holder, ProfileSource.BIC
    named = profile_for_bank(bank)
    if named is not GENERIC:
        return named, ProfileSource.NAME
    return GENERIC, ProfileSource.DEFAULT
