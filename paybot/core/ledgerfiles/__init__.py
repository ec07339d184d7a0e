"""Ledger files out: the vouchers paybot posted, written for an accounting system or an auditor.

- `csv_export`: a `;` CSV with decimal commas that opens right in a Norwegian spreadsheet;
- `json_export`: `{"vouchers": [...]}` with amounts as 2-decimal strings;
- `saft`: SAF-T Financial 1.30 (Norway), valid against the Tax Administration's XSD;
- `balance`: the general-ledger account balances and totals, a pure fold over vouchers;
- `chart`: the standard accounts paybot posts to, with their SAF-T grouping codes.

Every writer streams: vouchers come from an iterable and go to a binary stream as they come, so
the size of an export does not decide the memory it takes. Nothing here reads a clock or a
database; dates and the first pass's totals are handed in.
"""
