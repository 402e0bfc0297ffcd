"""Importing payments and opening balances from an Excel sheet: every row checked first, then
all or nothing.

- ``import_payments`` (``payments.py``): a cashier's ledger or a bank statement, recorded with
  one ``services.payments.record_payments`` call; references keep a re-imported sheet from paying
  twice (``already_recorded``).
- ``import_opening_balances`` (``opening.py``): arrears inherited at a takeover, one opening bill
  and entry per house, idempotent per house.
- ``sheet.py``: what both share — reading the sheet (Chinese or English headers, a title line
  allowed, any tab), the cell readers of the registry import, the result and its error report.

A file with any bad row writes nothing; the result lists each error (row, column, reason) and
``PaymentImportResult.report()`` gives them as a workbook to download (serve it with
``imports.xlsx.XLSX_CONTENT_TYPE``).
"""

from laoyuan.billing.payment_import.opening import (
    OPENING_BALANCES,
    import_opening_balances,
    opening_reference,
)
from laoyuan.billing.payment_import.payments import CHANNELS, PAYMENTS, import_payments
from laoyuan.billing.payment_import.sheet import PaymentImportResult

__all__ = [
    "CHANNELS",
    "OPENING_BALANCES",
    "PAYMENTS",
    "PaymentImportResult",
    "import_opening_balances",
    "import_payments",
    "opening_reference",
]
