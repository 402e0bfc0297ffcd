"""The billing API — fee schemes, billing runs, a house's account, payments and receipts — as
each role and as an outsider, with exact figures; every refusal writes nothing."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from laoyuan.api.tests.conftest import ROLES
from laoyuan.api.tests.test_compounds import count_queries
from laoyuan.billing import calc
from laoyuan.billing.enums import SchemeBasis, SchemeStatus
from laoyuan.billing.models import (
    Account,
    Bill,
    BillingRun,
    FeeScheme,
    JournalEntry,
    Payment,
    Posting,
    Receipt,
    ReceiptCounter,
)
from laoyuan.billing.services.payments import payment_ceiling
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.core.models import AuditEvent
from laoyuan.dashboard.tests.billing import FEB, JAN, MAR, taken
from laoyuan.factories import Cast

Client = Callable[[str], APIClient]
MONEY_ROLES = {"district", "street", "company", "resident"}
OFFICE_ROLES = {"district", "street", "company"}


def counts() -> dict[str, Any]:
    """Everything a billing write could add, to show a refusal wrote nothing."""
    models: tuple[Any, ...] = (
        Account,
        Bill,
        BillingRun,
        JournalEntry,
        Posting,
        Payment,
        Receipt,
        AuditEvent,
    )
    figures: dict[str, Any] = {model.__name__: model.objects.count() for model in models}
    figures["receipt_counters"] = sorted(ReceiptCounter.objects.values_list("company_id", "last"))
    return figures


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Invalid input."
    result: dict[str, list[str]] = body["errors"]
    return result


# --- Fee schemes ------------------------------------------------------------------------------


def proposed_scheme(cast: Cast) -> FeeScheme:
    compound = cast.a.compound
    return FeeScheme.objects.create(
        compound=compound,
        district_id=compound.district_id,
        street_id=compound.street_id,
        company=cast.a.company,
        basis=SchemeBasis.PER_HOUSEHOLD,
        rate=Decimal("150.00"),
        effective_from=datetime.date(2027, 1, 1),
        package=[{"item": "Guard", "standard": "Day time"}],
        costs=[{"item": "Cleaning", "monthly": "800.00"}],
        status=SchemeStatus.PROPOSED,
    )


@pytest.mark.parametrize("role", ROLES)
def test_fee_schemes_as_each_role(cast: Cast, as_role: Client, role: str) -> None:
    posted = posted_scheme(cast.a.compound, rate="0.50")
    proposed = proposed_scheme(cast)
    expected = {
        "outsider": [],
        "company": [proposed.pk, posted.pk],
        "street": [proposed.pk, posted.pk],
        "committee": [proposed.pk, posted.pk],
    }.get(role, [posted.pk])

    response = as_role(role).get("/api/v1/fee-schemes/", {"compound": cast.a.compound.pk})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == expected


def test_fee_schemes_without_a_compound_are_the_whole_scope(cast: Cast, as_role: Client) -> None:
    a = posted_scheme(cast.a.compound)
    proposed_scheme(cast)
    b = posted_scheme(cast.b.compound)
    c = posted_scheme(cast.c.compound)

    def listed(role: str) -> list[int]:
        return [row["id"] for row in as_role(role).get("/api/v1/fee-schemes/").json()["results"]]

    assert listed("district") == [a.pk, b.pk]
    assert listed("outsider") == [b.pk]
    assert listed("other_district") == [c.pk]


def test_fee_scheme_fields(cast: Cast, as_role: Client) -> None:
    scheme = posted_scheme(cast.a.compound, rate="0.50", trial_months=3, vacant_percent=50)
    compound = cast.a.compound

    response = as_role("resident").get("/api/v1/fee-schemes/", {"compound": compound.code})

    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": scheme.pk,
                "compound": {"id": compound.pk, "code": compound.code, "name": "甲一号院"},
                "basis": "per_area",
                "rate": "0.50",
                "effective_from": "2025-01-01",
                "trial_months": 3,
                "vacant_percent": 50,
                "unsold_percent": 100,
                "status": "posted",
                "posted_on": "2024-12-01",
                "package": [{"item": "Guard", "standard": "24 h at the gate"}],
                "costs": [{"item": "Guards' wages", "monthly": "3600.00"}],
            }
        ],
    }


def test_fee_schemes_per_household_rate_is_yuan_a_year(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound, basis=SchemeBasis.PER_HOUSEHOLD, rate="150")

    row = as_role("street").get("/api/v1/fee-schemes/").json()["results"][0]

    assert (row["basis"], row["rate"]) == ("per_household", "150.00")


def test_fee_schemes_of_another_compound_or_unknown_are_empty(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound)
    posted_scheme(cast.b.compound)
    client = as_role("company")

    for compound in (cast.b.compound.pk, cast.b.compound.code, "no-such-code", "999999"):
        response = client.get("/api/v1/fee-schemes/", {"compound": compound})
        assert response.status_code == 200
        assert response.json()["results"] == [], compound


def test_fee_scheme_list_queries_do_not_grow_with_rows(cast: Cast, as_role: Client) -> None:
    client = as_role("district")
    posted_scheme(cast.a.compound)
    one, body_one = count_queries(client, "/api/v1/fee-schemes/")

    posted_scheme(cast.b.compound)
    posted_scheme(cast.a.other_compound, company=cast.a.company)
    three, body_three = count_queries(client, "/api/v1/fee-schemes/")

    assert (body_one["count"], body_three["count"]) == (1, 3)
    assert one == three


# --- Billing runs -----------------------------------------------------------------------------


def run_request(client: APIClient, capture: Any, **data: Any) -> tuple[Any, dict[str, Any] | None]:
    """POST a run and let it execute (it is queued on commit); then read it back."""
    with capture(execute=True):
        response = client.post("/api/v1/billing-runs/", data)
    if response.status_code != 201:
        return response, None
    return response, client.get(f"/api/v1/billing-runs/{response.json()['id']}/").json()


def test_billing_run_of_the_companys_scope(
    cast: Cast, as_role: Client, django_capture_on_commit_callbacks: Any
) -> None:
    posted_scheme(cast.a.compound, rate="0.50")

    response, run = run_request(
        as_role("company"), django_capture_on_commit_callbacks, period="2026-01"
    )

    assert response.status_code == 201
    created = response.json()
    assert created["period"] == "2026-01"
    assert created["company"] == {
        "id": cast.a.company.pk,
        "code": cast.a.company.code,
        "name": "甲公办物业",
        "kind": "public",
    }
    assert run is not None
    assert (run["status"], run["compounds_total"], run["compounds_done"]) == ("done", 1, 1)
    # 86.40 m² and 60.00 m² at 0.50 a month.
    assert (run["bills_created"], run["amount_created"]) == (2, "73.20")
    assert sorted(Bill.objects.filter(period=JAN).values_list("house__room", "amount")) == [
        ("101", Decimal("43.20")),
        ("102", Decimal("30.00")),
    ]


def test_billing_run_rerun_adds_nothing(
    cast: Cast, as_role: Client, django_capture_on_commit_callbacks: Any
) -> None:
    posted_scheme(cast.a.compound, rate="0.50")
    client = as_role("street")
    run_request(client, django_capture_on_commit_callbacks, period="2026-01")
    before = Bill.objects.count()

    response, run = run_request(
        client, django_capture_on_commit_callbacks, period="2026-01", compound=cast.a.compound.code
    )

    assert response.status_code == 201
    assert run is not None
    assert (run["status"], run["bills_created"], run["amount_created"]) == ("done", 0, "0.00")
    assert run["compound"] == {
        "id": cast.a.compound.pk,
        "code": cast.a.compound.code,
        "name": "甲一号院",
    }
    assert run["street"]["id"] == cast.a.street.pk
    assert Bill.objects.count() == before == 2


def test_billing_run_names_a_place_by_id_or_code(
    cast: Cast, as_role: Client, django_capture_on_commit_callbacks: Any
) -> None:
    posted_scheme(cast.a.compound, rate="0.50")
    client = as_role("district")

    by_id, _run = run_request(
        client, django_capture_on_commit_callbacks, period="2026-01", street=str(cast.a.street.pk)
    )
    by_code, _run = run_request(
        client, django_capture_on_commit_callbacks, period="2026-02", company=cast.a.company.code
    )

    assert by_id.json()["street"]["code"] == cast.a.street.code
    assert by_code.json()["company"]["id"] == cast.a.company.pk
    assert sorted(Bill.objects.values_list("period", flat=True)) == [JAN, JAN, FEB, FEB]


def test_billing_run_refused_by_the_service_is_400_and_writes_nothing(
    cast: Cast, as_role: Client
) -> None:
    too_late = calc.add_months(timezone.localdate(), 2)
    before = counts()

    response = as_role("company").post("/api/v1/billing-runs/", {"period": f"{too_late:%Y-%m}"})

    latest = calc.add_months(timezone.localdate(), 1)
    assert errors(response) == {"period": [f"Months after {latest:%Y-%m} cannot be billed yet."]}
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "target", "side"),
    [
        ("outsider", "compound", "a"),
        ("outsider", "company", "a"),
        ("outsider", "street", "a"),
        ("company", "street", "a"),
        ("company", "compound", "b"),
        ("street", "compound", "b"),
        ("street", "company", "c"),
        ("district", "compound", "c"),
        ("other_district", "street", "a"),
    ],
)
def test_billing_run_of_another_scope_is_404(
    cast: Cast, as_role: Client, role: str, target: str, side: str
) -> None:
    place = getattr(cast, side)
    posted_scheme(place.compound)
    value = {
        "compound": place.compound.code,
        "company": str(place.company.pk),
        "street": place.street.code,
    }[target]
    before = counts()

    response = as_role(role).post("/api/v1/billing-runs/", {"period": "2026-01", target: value})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert counts() == before


@pytest.mark.parametrize(
    "role", ["community", "grid", "branch", "committee", "resident", "inspector"]
)
def test_billing_run_needs_an_office_role(cast: Cast, as_role: Client, role: str) -> None:
    before = counts()

    response = as_role(role).post("/api/v1/billing-runs/", {"period": "2026-01"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only a property company, a street office or the district office runs billing."
    }
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, {"period": ["This field is required."]}),
        ({"period": "2026-13"}, {"period": ["Enter a month as YYYY-MM, for example 2025-03."]}),
        ({"period": "2026/01"}, {"period": ["Enter a month as YYYY-MM, for example 2025-03."]}),
        (
            {"period": "2026-01", "street": "x", "compound": "y"},
            {"non_field_errors": ["Name at most one of street, company and compound."]},
        ),
    ],
)
def test_billing_run_bad_request_is_400_and_writes_nothing(
    cast: Cast, as_role: Client, data: dict[str, str], expected: dict[str, list[str]]
) -> None:
    before = counts()

    response = as_role("street").post("/api/v1/billing-runs/", data)

    assert errors(response) == expected
    assert counts() == before


@pytest.mark.parametrize("role", [*ROLES, "other_district"])
def test_billing_run_detail_as_each_role(
    cast: Cast, as_role: Client, django_capture_on_commit_callbacks: Any, role: str
) -> None:
    posted_scheme(cast.a.compound)
    response, _run = run_request(
        as_role("company"),
        django_capture_on_commit_callbacks,
        period="2026-01",
        compound=cast.a.compound.code,
    )
    run_id = response.json()["id"]

    detail = as_role(role).get(f"/api/v1/billing-runs/{run_id}/")
    listed = as_role(role).get("/api/v1/billing-runs/")

    if role in OFFICE_ROLES:
        assert detail.status_code == 200
        assert detail.json()["id"] == run_id
        assert [row["id"] for row in listed.json()["results"]] == [run_id]
    else:
        assert detail.status_code == 404
        assert listed.json()["results"] == []


def test_billing_run_list_queries_do_not_grow_with_rows(
    cast: Cast, as_role: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_role("district")
    run_request(client, django_capture_on_commit_callbacks, period="2026-01")
    one, body_one = count_queries(client, "/api/v1/billing-runs/")

    run_request(
        client, django_capture_on_commit_callbacks, period="2026-02", street=cast.a.street.code
    )
    run_request(
        client, django_capture_on_commit_callbacks, period="2026-02", compound=cast.b.compound.code
    )
    three, body_three = count_queries(client, "/api/v1/billing-runs/")

    assert (body_one["count"], body_three["count"]) == (1, 3)
    assert one == three


# --- A house's account ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "other_district"])
def test_house_account_as_each_role(cast: Cast, as_role: Client, role: str) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)

    response = as_role(role).get(f"/api/v1/houses/{cast.a.house.pk}/account/")

    if role in MONEY_ROLES:
        assert response.status_code == 200
        assert response.json()["balance"] == "43.20"
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_house_account_of_the_neighbour_is_404_for_a_resident(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").get(f"/api/v1/houses/{cast.a.neighbour_house.pk}/account/")

    assert response.status_code == 404


def test_house_account_figures(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound, effective_from=JAN, trial_months=1)
    for period in (JAN, FEB, MAR):
        bill(cast.a.house, period)
    receipt = taken(cast, cast.a.house, "50.00", "CASH-9")
    today = timezone.localdate().isoformat()

    response = as_role("resident").get(f"/api/v1/houses/{cast.a.house.pk}/account/")

    assert response.json() == {
        "balance": "36.40",
        "credit": "0.00",
        "bills": [
            {
                "period": "2026-03",
                "amount": "43.20",
                "list_amount": "43.20",
                "paid": "6.80",
                "trial": False,
            },
            {
                "period": "2026-02",
                "amount": "43.20",
                "list_amount": "43.20",
                "paid": "43.20",
                "trial": False,
            },
            {
                "period": "2026-01",
                "amount": "0.00",
                "list_amount": "43.20",
                "paid": "0.00",
                "trial": True,
            },
        ],
        "postings": [
            {
                "date": today,
                "kind": "payment",
                "amount": "-50.00",
                "balance": "36.40",
                "period": None,
                "receipt": receipt.number,
                "reversal": False,
                "memo": "cash CASH-9",
            },
            {
                "date": today,
                "kind": "charge",
                "amount": "43.20",
                "balance": "86.40",
                "period": "2026-03",
                "receipt": "",
                "reversal": False,
                "memo": "2026-03",
            },
            {
                "date": today,
                "kind": "charge",
                "amount": "43.20",
                "balance": "43.20",
                "period": "2026-02",
                "receipt": "",
                "reversal": False,
                "memo": "2026-02",
            },
        ],
    }


def test_house_account_in_credit_and_never_billed(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound)
    taken(cast, cast.a.neighbour_house, "90.00", "BANK-1", channel="bank")
    client = as_role("company")

    in_credit = client.get(f"/api/v1/houses/{cast.a.neighbour_house.pk}/account/").json()
    never = client.get(f"/api/v1/houses/{cast.a.house.pk}/account/").json()

    assert (in_credit["balance"], in_credit["credit"], in_credit["bills"]) == (
        "-90.00",
        "90.00",
        [],
    )
    assert never == {"balance": "0.00", "credit": "0.00", "bills": [], "postings": []}


# --- Payments ---------------------------------------------------------------------------------


def pay(client: APIClient, house: Any, amount: Any, reference: str = "CASH-1") -> Any:
    return client.post(
        "/api/v1/payments/",
        {"house": house.pk, "amount": amount, "channel": "cash", "reference": reference},
    )


def test_payment_returns_its_receipt(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound)
    for period in (JAN, FEB):
        bill(cast.a.house, period)

    response = pay(as_role("company"), cast.a.house, "50.00")

    assert response.status_code == 201, response.content
    body = response.json()
    receipt = Receipt.objects.get()
    assert body["number"] == receipt.number
    assert body["amount"] == "50.00"
    assert body["house"] == {
        "id": cast.a.house.pk,
        "compound": {"id": cast.a.compound.pk, "code": cast.a.compound.code, "name": "甲一号院"},
        "label": cast.a.house.label,
    }
    assert (body["channel"], body["reference"]) == ("cash", "CASH-1")
    assert [(line["period"], line["amount"]) for line in body["lines"]] == [
        ("2026-01", "43.20"),
        ("2026-02", "6.80"),
    ]
    account = as_role("company").get(f"/api/v1/houses/{cast.a.house.pk}/account/").json()
    assert account["balance"] == "36.40"


def test_payment_same_reference_again_returns_the_first_receipt(
    cast: Cast, as_role: Client
) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    client = as_role("company")
    first = pay(client, cast.a.house, "43.20", reference="BANK-77")
    before = counts()

    again = pay(client, cast.a.house, "43.20", reference="BANK-77")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert counts() == before
    assert Payment.objects.get().amount == Decimal("43.20")


def test_payment_same_reference_for_another_amount_or_house_is_400(
    cast: Cast, as_role: Client
) -> None:
    posted_scheme(cast.a.compound)
    client = as_role("company")
    first = pay(client, cast.a.house, "43.20", reference="BANK-78")
    number = first.json()["number"]
    before = counts()

    other_amount = pay(client, cast.a.house, "43.21", reference="BANK-78")
    other_house = pay(client, cast.a.neighbour_house, "43.20", reference="BANK-78")

    message = (
        f"The reference BANK-78 was already used for another house or amount (receipt "
        f"{number}); check the reference."
    )
    assert errors(other_amount) == errors(other_house) == {"reference": [message]}
    assert counts() == before


def test_payment_of_thirteen_months_ahead_is_refused_and_writes_nothing(
    cast: Cast, as_role: Client
) -> None:
    posted_scheme(cast.a.compound)  # 43.20 a month for the house, nothing owed yet
    before = counts()

    response = pay(as_role("company"), cast.a.house, "561.60")

    assert errors(response) == {
        "amount": [
            "At most 518.40 may be paid now: what is owed plus 12 months ahead "
            "(Zhengzhou regulation art. 42)."
        ]
    }
    assert counts() == before
    assert pay(as_role("company"), cast.a.house, "518.40").status_code == 201


def test_payment_ceiling_counts_what_is_owed(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    assert payment_ceiling(cast.a.house) == Decimal("561.60")
    before = counts()

    response = pay(as_role("company"), cast.a.house, "561.61")

    assert errors(response)["amount"][0].startswith("At most 561.60 may be paid now")
    assert counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "Enter an amount greater than zero."),
        ("0", "Enter an amount greater than zero."),
        ("0.00", "Enter an amount greater than zero."),
        ("1.234", "Enter at most two decimals (whole fen)."),
        ("abc", 'Enter an amount in yuan as a string, for example "120.00".'),
        ("", 'Enter an amount in yuan as a string, for example "120.00".'),
        ("1e3", 'Enter an amount in yuan as a string, for example "120.00".'),
        ("NaN", 'Enter an amount in yuan as a string, for example "120.00".'),
        (12.5, 'Enter an amount in yuan as a string, for example "120.00".'),
        ("1234567890123.00", "Enter an amount below one trillion yuan."),
    ],
)
def test_payment_bad_amount_is_400_and_writes_nothing(
    cast: Cast, as_role: Client, amount: Any, message: str
) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    before = counts()

    response = pay(as_role("company"), cast.a.house, amount)

    assert errors(response) == {"amount": [message]}
    assert counts() == before


def test_payment_bad_channel_and_missing_fields_are_400(cast: Cast, as_role: Client) -> None:
    before = counts()

    response = as_role("company").post(
        "/api/v1/payments/", {"house": cast.a.house.pk, "amount": "1.00", "channel": "cheque"}
    )

    assert errors(response) == {
        "channel": ['"cheque" is not a valid choice.'],
        "reference": ["This field is required."],
    }
    assert counts() == before


@pytest.mark.parametrize(
    "role", ["district", "street", "community", "grid", "committee", "resident", "outsider"]
)
def test_payment_by_anyone_but_the_company_is_404(cast: Cast, as_role: Client, role: str) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    before = counts()

    response = pay(as_role(role), cast.a.house, "10.00")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert counts() == before


def test_payment_for_another_companys_house_is_404(cast: Cast, as_role: Client) -> None:
    posted_scheme(cast.b.compound)
    bill(cast.b.house, JAN)
    before = counts()

    response = pay(as_role("company"), cast.b.house, "10.00")

    assert response.status_code == 404
    assert counts() == before


# --- Receipts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "other_district"])
def test_receipt_as_each_role(cast: Cast, as_role: Client, role: str) -> None:
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    receipt = taken(cast, cast.a.house, "43.20", "R-1")

    response = as_role(role).get(f"/api/v1/receipts/{receipt.number}/")

    if role in MONEY_ROLES:
        assert response.status_code == 200
        body = response.json()
        assert (body["number"], body["amount"], body["reference"]) == (
            receipt.number,
            "43.20",
            "R-1",
        )
        assert body["lines"] == [
            {
                "period": "2026-01",
                "amount": "43.20",
                "bill_amount": "43.20",
                "list_amount": "43.20",
                "trial": False,
            }
        ]
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_receipt_unknown_number_is_404(cast: Cast, as_role: Client) -> None:
    response = as_role("company").get("/api/v1/receipts/NO-SUCH-1/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- Without credentials ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/api/v1/payments/", {"house": 1, "amount": "1.00", "channel": "cash", "reference": "x"}),
        ("/api/v1/billing-runs/", {"period": "2026-01"}),
    ],
)
def test_anonymous_writes_are_401_and_write_nothing(
    cast: Cast, api_client: APIClient, url: str, data: dict[str, Any]
) -> None:
    before = counts()

    response = api_client.post(url, data)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert counts() == before
