"""The property company's billing desk (收费台), under ``/billing/desk/``.

Who: the company's own staff (role ``company`` on the company) work at its desk; the street
office that owns a public company reads its desk, starts its billing runs and, as the schemes
service allows, proposes and posts its fee schemes. A compound's committee opens a scheme of its
compound to co-sign it. Everyone else gets 404, and so does another company's desk or object.

Every POST calls one service; its refusal is shown as form errors and changes nothing.

One module per topic (``home``, ``schemes``, ``runs``, ``payments``, ``receipts``, ``arrears``,
``imports``, ``closing``; the shared helpers in ``_common``).
"""

from django.urls import URLPattern, path

from laoyuan.billing.views.desk import (
    arrears,
    closing,
    home,
    imports,
    payments,
    receipts,
    runs,
    schemes,
)

D = "desk/<int:company>/"

urlpatterns: list[URLPattern] = [
    path("desk/", home.desk_index, name="desk_index"),
    path(D, home.desk_home, name="desk_home"),
    # Fee schemes; a scheme's page is also the committee's, so it is not under a company.
    path(f"{D}schemes/", schemes.desk_schemes, name="desk_schemes"),
    path(f"{D}schemes/new/", schemes.desk_scheme_propose, name="desk_scheme_propose"),
    path("desk/schemes/<int:pk>/", schemes.desk_scheme_detail, name="desk_scheme_detail"),
    path("desk/schemes/<int:pk>/cosign/", schemes.desk_scheme_cosign, name="desk_scheme_cosign"),
    path("desk/schemes/<int:pk>/post/", schemes.desk_scheme_post, name="desk_scheme_post"),
    path(
        "desk/schemes/<int:pk>/withdraw/",
        schemes.desk_scheme_withdraw,
        name="desk_scheme_withdraw",
    ),
    path("desk/cosign/", schemes.desk_cosign_list, name="desk_cosign_list"),
    # Billing runs.
    path(f"{D}runs/", runs.desk_runs, name="desk_runs"),
    path(f"{D}runs/<int:pk>/", runs.desk_run, name="desk_run"),
    path(f"{D}runs/<int:pk>/progress/", runs.desk_run_progress, name="desk_run_progress"),
    # Taking a payment; a payment's reversal and the refund of credit.
    path(f"{D}pay/", payments.desk_pay, name="desk_pay"),
    path(f"{D}houses/<int:pk>/", payments.desk_house, name="desk_house"),
    path(f"{D}payments/<int:pk>/", payments.desk_payment, name="desk_payment"),
    path(
        f"{D}payments/<int:pk>/reverse/",
        payments.desk_payment_reverse,
        name="desk_payment_reverse",
    ),
    path(f"{D}payments/<int:pk>/refund/", payments.desk_refund, name="desk_refund"),
    # Receipts.
    path(f"{D}receipts/", receipts.desk_receipts, name="desk_receipts"),
    path(f"{D}receipts/print/", receipts.desk_receipts_print, name="desk_receipts_print"),
    path(f"{D}receipts/<int:pk>/", receipts.desk_receipt, name="desk_receipt"),
    # Arrears and reminders.
    path(f"{D}arrears/", arrears.desk_arrears, name="desk_arrears"),
    path(f"{D}arrears/export/", arrears.desk_arrears_export, name="desk_arrears_export"),
    path(f"{D}arrears/reminders/", arrears.desk_reminders, name="desk_reminders"),
    path(f"{D}arrears/<int:house>/reminder/", arrears.desk_reminder, name="desk_reminder"),
    # Imports.
    path(f"{D}import/payments/", imports.desk_import_payments, name="desk_import_payments"),
    path(f"{D}import/opening/", imports.desk_import_opening, name="desk_import_opening"),
    path(f"{D}import/report/<str:token>/", imports.desk_import_report, name="desk_import_report"),
    # The cashier's day close.
    path(f"{D}close/", closing.desk_close, name="desk_close"),
]
