"""The billing desk (收费台) pages as the company's staff, the owning street, a committee, and
everyone else (404, nothing changed)."""

import datetime
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from laoyuan import celery_app
from laoyuan.accounts.enums import Role
from laoyuan.billing import calc
from laoyuan.billing.enums import Channel, RunStatus, SchemeBasis, SchemeStatus
from laoyuan.billing.models import (
    Bill,
    BillingRun,
    DayClose,
    FeeScheme,
    JournalEntry,
    Payment,
    Receipt,
)
from laoyuan.billing.queries import arrears_by_age
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.billing.views.desk.receipts import rmb_upper
from laoyuan.core.models import AuditEvent
from laoyuan.factories import PASSWORD, Cast, HouseFactory, anonymous, as_user, user_with

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()
THIS = calc.month_start(TODAY)
LAST = calc.add_months(THIS, -1)
# Roles and users with no business at company A's desk.
OUTSIDERS = [
    "outsider",
    "other_district",
    Role.DISTRICT,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.RESIDENT,
    Role.INSPECTOR,
]


def url(name: str, cast: Cast, *args: Any) -> str:
    return reverse(f"billing:{name}", args=[cast.a.company.pk, *args])


def html(response: Any) -> str:
    return response.content.decode()


def text(response: Any) -> str:
    """The page's text, tags dropped and spaces folded, for exact phrases."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


def compound_row(page: str, cast: Cast) -> str:
    """The table row of compound A."""
    found = re.search(f'<tr data-compound="{cast.a.compound.code}">(.*?)</tr>', page, re.S)
    assert found is not None
    return found.group(1)


def billed(cast: Cast, months: int = 3) -> FeeScheme:
    """0.50 元/m²/月 in force two years back; bills for the last ``months`` months up to this
    one: house (86.40 m²) 43.20 a month, neighbour (60.00 m²) 30.00 a month."""
    scheme = posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, -24))
    for back in range(months):
        period = calc.add_months(THIS, -back)
        bill(cast.a.house, period, scheme)
        bill(cast.a.neighbour_house, period, scheme)
    return scheme


def pay(cast: Cast, amount: str, reference: str, **kwargs: Any) -> Receipt:
    return take_payment(
        house=kwargs.pop("house", cast.a.house),
        amount=D(amount),
        channel=kwargs.pop("channel", Channel.CASH),
        reference=reference,
        actor=cast.users[Role.COMPANY],
        **kwargs,
    )


def desk_urls(cast: Cast) -> list[str]:
    """Every GET page of company A's desk (with one of each object)."""
    scheme = billed(cast)
    receipt = pay(cast, "43.20", "R-1")
    run = BillingRun.objects.create(
        period=THIS, district=cast.district, company=cast.a.company, status=RunStatus.DONE
    )
    return [
        url("desk_home", cast),
        url("desk_schemes", cast),
        url("desk_scheme_propose", cast),
        reverse("billing:desk_scheme_detail", args=[scheme.pk]),
        url("desk_runs", cast),
        url("desk_run", cast, run.pk),
        url("desk_run_progress", cast, run.pk),
        url("desk_pay", cast) + f"?compound={cast.a.compound.pk}&q=101",
        url("desk_house", cast, cast.a.house.pk),
        url("desk_payment", cast, receipt.payment_id),
        url("desk_receipts", cast),
        url("desk_receipt", cast, receipt.pk),
        url("desk_receipts_print", cast) + f"?id={receipt.pk}",
        url("desk_arrears", cast),
        url("desk_arrears_export", cast),
        url("desk_reminders", cast),
        url("desk_reminder", cast, cast.a.neighbour_house.pk),
        url("desk_import_payments", cast),
        url("desk_import_opening", cast),
        url("desk_close", cast),
    ]


# --- Who may open the desk ---------------------------------------------------------------------


def test_desk_pages_open_for_the_company(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    for page in desk_urls(cast):
        assert client.get(page).status_code == 200, page


def test_desk_pages_open_read_only_for_the_owning_street(cast: Cast) -> None:
    client = as_user(cast.users[Role.STREET])
    # Imports are the company's own work; a street proposes schemes for the compounds it runs.
    writes = {url("desk_import_payments", cast), url("desk_import_opening", cast)}
    for page in desk_urls(cast):
        assert client.get(page).status_code == (404 if page in writes else 200), page
    house = html(client.get(url("desk_house", cast, cast.a.house.pk)))
    assert "data-payment-form" not in house
    assert "data-read-only" in house


def test_desk_pages_answer_404_to_everyone_else(cast: Cast) -> None:
    pages = [page for page in desk_urls(cast) if "/desk/schemes/" not in page]
    for who in OUTSIDERS:
        client = as_user(cast.users[who])
        for page in pages:
            assert client.get(page).status_code == 404, (who, page)


def test_desk_of_another_company_answers_404(cast: Cast) -> None:
    staff_b = user_with(Role.COMPANY, cast.b.company, "staff-b")
    client = as_user(staff_b)
    for page in desk_urls(cast):
        if "/desk/schemes/" in page:
            continue
        assert client.get(page).status_code == 404, page
    # Company B's own desk opens, and A's house is not found through it.
    assert client.get(reverse("billing:desk_home", args=[cast.b.company.pk])).status_code == 200
    other = reverse("billing:desk_house", args=[cast.b.company.pk, cast.a.house.pk])
    assert client.get(other).status_code == 404


def test_desk_pages_send_anonymous_to_login(cast: Cast) -> None:
    client = anonymous()
    for page in [reverse("billing:desk_index"), *desk_urls(cast)]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("accounts:login")), page


def test_desk_index_takes_the_company_and_the_street_to_their_desk(cast: Cast) -> None:
    home = url("desk_home", cast)
    for role in (Role.COMPANY, Role.STREET):
        response = as_user(cast.users[role]).get(reverse("billing:desk_index"))
        assert response.status_code == 302
        assert response["Location"] == home
    for who in OUTSIDERS[2:]:
        assert as_user(cast.users[who]).get(reverse("billing:desk_index")).status_code == 404


# --- Overview ----------------------------------------------------------------------------------


def test_desk_home_shows_the_month_exactly(cast: Cast) -> None:
    billed(cast, months=2)
    pay(cast, "86.40", "R-1")  # last month's and this month's bills of the house
    response = as_user(cast.users[Role.COMPANY]).get(url("desk_home", cast))
    page = html(response)
    assert 'data-figure="billed">73.20<' in page
    assert 'data-figure="paid">43.20<' in page
    # 43.20 ÷ 73.20 = 0.5902 (four places, half-up) → 59.02 %
    assert 'data-figure="rate">59.02 %<' in page
    # The neighbour still owes last month: one household in arrears.
    assert 'data-figure="arrears">1<' in page
    row = compound_row(page, cast)
    assert "0.50 元/m²/month" in row
    assert "data-billed>73.20<" in row
    assert "data-rate>59.02 %<" in row


# --- Fee schemes -------------------------------------------------------------------------------

SCHEME_FORM = {
    "tier": "",
    "basis": SchemeBasis.PER_AREA,
    "rate": "0.50",
    "trial_months": "3",
    "vacant_percent": "50",
    "unsold_percent": "100",
    "package": "Guard | 24 h at the gate\n\nCleaning | daily, stairs weekly\n",
    "costs": "Guards' wages | 3600\nCleaning | 1200.50",
    "note": "After the renovation",
}


def scheme_form(cast: Cast, **overrides: str) -> dict[str, Any]:
    start = calc.add_months(TODAY, 2)
    return {
        **SCHEME_FORM,
        "compound": str(cast.a.compound.pk),
        "effective_from": f"{start:%Y-%m}",
        **overrides,
    }


def test_scheme_propose_as_the_company_records_the_proposal(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    response = client.post(url("desk_scheme_propose", cast), scheme_form(cast))
    scheme = FeeScheme.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:desk_scheme_detail", args=[scheme.pk])
    assert (scheme.compound_id, scheme.company_id) == (cast.a.compound.pk, cast.a.company.pk)
    assert (scheme.basis, scheme.rate) == (SchemeBasis.PER_AREA, D("0.50"))
    assert scheme.effective_from == calc.add_months(TODAY, 2)
    assert (scheme.trial_months, scheme.vacant_percent, scheme.unsold_percent) == (3, 50, 100)
    assert scheme.package == [
        {"item": "Guard", "standard": "24 h at the gate"},
        {"item": "Cleaning", "standard": "daily, stairs weekly"},
    ]
    assert scheme.costs == [
        {"item": "Guards' wages", "monthly": "3600.00"},
        {"item": "Cleaning", "monthly": "1200.50"},
    ]
    assert scheme.status == SchemeStatus.PROPOSED
    assert scheme.proposed_by == cast.users[Role.COMPANY]
    page = text(client.get(response["Location"]))
    assert "Proposed, awaiting co-signature" in page
    # 4800.50 a month over the compound's 2 households and 146.40 m².
    assert "Total 4,800.50" in page
    assert "Per household (2 households) 2,400.25" in page
    assert "Per m² (146.40 m²) 32.79" in page


def test_scheme_propose_takes_a_standard_tier(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    form = scheme_form(cast, tier="per_household:150", basis="", rate="")
    assert client.post(url("desk_scheme_propose", cast), form).status_code == 302
    scheme = FeeScheme.objects.get()
    assert (scheme.basis, scheme.rate) == (SchemeBasis.PER_HOUSEHOLD, D("150.00"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rate": "", "basis": ""}, "basis", "Choose a standard tier, or the basis of your rate."),
        ({"rate": "-1"}, "rate", "Ensure this value is greater than or equal to 0.01."),
        ({"effective_from": "2020-13"}, "effective_from", "Enter a month as YYYY-MM"),
        ({"effective_from": f"{THIS:%Y-%m}"}, "effective_from", "at least a month before"),
        ({"package": "Guard 24 h"}, "package", 'Line 1: write "item | standard".'),
        ({"costs": "Wages | lots"}, "costs", "Line 1: lots is not an amount in yuan"),
        ({"tier": "per_area:0.50", "rate": "0.60"}, "tier", "Choose a standard tier or enter"),
        ({"trial_months": "13"}, "trial_months", "less than or equal to 12"),
    ],
)
def test_scheme_propose_refuses_bad_input_and_writes_nothing(
    cast: Cast, overrides: dict[str, str], field: str, message: str
) -> None:
    client = as_user(cast.users[Role.COMPANY])
    response = client.post(url("desk_scheme_propose", cast), scheme_form(cast, **overrides))
    assert response.status_code == 200
    assert message in html(response).replace("&quot;", '"')
    assert f'data-field="{field}"' in html(response)
    assert FeeScheme.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="fee_scheme.").exists()


def test_scheme_propose_by_others_is_404_and_writes_nothing(cast: Cast) -> None:
    for who in OUTSIDERS:
        response = as_user(cast.users[who]).post(
            url("desk_scheme_propose", cast), scheme_form(cast)
        )
        assert response.status_code == 404, who
    assert FeeScheme.objects.count() == 0


def test_scheme_steps_committee_cosigns_company_posts(cast: Cast) -> None:
    company = as_user(cast.users[Role.COMPANY])
    company.post(url("desk_scheme_propose", cast), scheme_form(cast))
    scheme = FeeScheme.objects.get()
    detail = reverse("billing:desk_scheme_detail", args=[scheme.pk])
    assert "Co-sign the scheme" not in html(company.get(detail))
    # The company may not co-sign its own proposal.
    assert company.post(reverse("billing:desk_scheme_cosign", args=[scheme.pk])).status_code == 404

    committee = as_user(cast.users[Role.COMMITTEE])
    listing = html(committee.get(reverse("billing:desk_cosign_list")))
    assert f'data-scheme="{scheme.pk}" data-status="proposed"' in listing
    page = html(committee.get(detail))
    assert "Co-sign the scheme" in page
    assert "Post the scheme" not in page
    response = committee.post(reverse("billing:desk_scheme_cosign", args=[scheme.pk]))
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.status, scheme.cosigned_by) == (
        SchemeStatus.COSIGNED,
        cast.users[Role.COMMITTEE],
    )
    # The committee neither posts nor withdraws.
    assert committee.post(reverse("billing:desk_scheme_post", args=[scheme.pk])).status_code == 404

    assert "Post the scheme (公示)" in html(company.get(detail))
    response = company.post(reverse("billing:desk_scheme_post", args=[scheme.pk]), follow=True)
    assert "The scheme is posted (公示)" in html(response)
    scheme.refresh_from_db()
    assert (scheme.status, scheme.posted_on) == (SchemeStatus.POSTED, TODAY)


def test_scheme_withdraw_needs_a_reason(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    client.post(url("desk_scheme_propose", cast), scheme_form(cast))
    scheme = FeeScheme.objects.get()
    withdraw = reverse("billing:desk_scheme_withdraw", args=[scheme.pk])
    response = client.post(withdraw, {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in html(response)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PROPOSED
    response = client.post(withdraw, {"reason": "Owners asked for a lower rate"})
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.WITHDRAWN


def test_scheme_pages_of_another_compound_are_404(cast: Cast) -> None:
    scheme = posted_scheme(cast.b.compound)
    for who in [*OUTSIDERS[2:], Role.COMPANY, Role.STREET]:
        client = as_user(cast.users[who])
        assert (
            client.get(reverse("billing:desk_scheme_detail", args=[scheme.pk])).status_code == 404
        )
        for action in ("cosign", "post", "withdraw"):
            name = f"billing:desk_scheme_{action}"
            assert client.post(reverse(name, args=[scheme.pk]), {"reason": "x"}).status_code == 404
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.POSTED
    assert (
        as_user(cast.users[Role.RESIDENT]).get(reverse("billing:desk_cosign_list")).status_code
        == 404
    )


def test_schemes_list_marks_the_scheme_in_force(cast: Cast) -> None:
    old = posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, -24))
    new = posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, -2), rate="0.60")
    later = posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, 2), rate="0.70")
    page = html(as_user(cast.users[Role.STREET]).get(url("desk_schemes", cast)))
    rows = re.findall(r'<tr data-scheme="(\d+)" data-status="posted">(.*?)</tr>', page, re.S)
    assert [int(pk) for pk, _row in rows] == [later.pk, new.pk, old.pk]
    assert ["data-in-force" in row for _pk, row in rows] == [False, True, False]


# --- Billing runs ------------------------------------------------------------------------------


@pytest.fixture
def tasks_in_process() -> Any:
    """Runs execute in the test's process even when the suite has a broker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.mark.parametrize("role", [Role.COMPANY, Role.STREET])
def test_run_started_from_the_desk_bills_and_shows_its_summary(
    cast: Cast, role: str, tasks_in_process: None, django_capture_on_commit_callbacks: Any
) -> None:
    posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, -24))
    client = as_user(cast.users[role])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("desk_runs", cast), {"period": f"{THIS:%Y-%m}", "compound": ""})
    run = BillingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("desk_run", cast, run.pk)
    assert (run.period, run.company_id, run.requested_by) == (
        THIS,
        cast.a.company.pk,
        cast.users[role],
    )
    assert run.status == RunStatus.DONE
    assert sorted(Bill.objects.values_list("amount", flat=True)) == [D("30.00"), D("43.20")]
    page = html(client.get(response["Location"]))
    assert 'data-run-status="done"' in page
    assert "hx-trigger" not in page
    row = compound_row(page, cast)
    assert "data-bills>2<" in row
    assert "data-amount>73.20<" in row
    # Running the month again adds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("desk_runs", cast), {"period": f"{THIS:%Y-%m}", "compound": ""})
    assert Bill.objects.count() == 2


def test_run_page_polls_while_the_run_is_pending(cast: Cast) -> None:
    run = BillingRun.objects.create(
        period=THIS, district=cast.district, company=cast.a.company, compounds_total=4
    )
    client = as_user(cast.users[Role.COMPANY])
    progress = url("desk_run_progress", cast, run.pk)
    page = html(client.get(url("desk_run", cast, run.pk)))
    assert f'hx-get="{progress}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    BillingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, compounds_done=1, bills_created=120, amount_created=D("5184.00")
    )
    partial = html(client.get(progress, headers={"HX-Request": "true"}))
    assert partial.startswith('<section id="run-progress"')
    assert "hx-trigger" in partial
    assert "data-compounds>1 / 4 (25 %)<" in partial
    assert "data-bills>120<" in partial
    assert "data-amount>5,184.00<" in partial
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, compounds_done=4)
    partial = html(client.get(progress, headers={"HX-Request": "true"}))
    assert "hx-trigger" not in partial
    assert "Summary" in partial


def test_run_refuses_bad_input_and_others(
    cast: Cast, tasks_in_process: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_user(cast.users[Role.COMPANY])
    far = calc.add_months(THIS, 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("desk_runs", cast), {"period": f"{far:%Y-%m}"})
        assert "cannot be billed yet" in html(response)
        response = client.post(url("desk_runs", cast), {"period": "July"})
        assert "Enter a month as YYYY-MM" in html(response)
        response = client.post(
            url("desk_runs", cast), {"period": f"{THIS:%Y-%m}", "compound": cast.b.compound.pk}
        )
        assert "Select a valid choice" in html(response)
        for who in OUTSIDERS:
            response = as_user(cast.users[who]).post(
                url("desk_runs", cast), {"period": f"{THIS:%Y-%m}"}
            )
            assert response.status_code == 404, who
    assert BillingRun.objects.count() == 0
    assert Bill.objects.count() == 0


# --- Taking a payment --------------------------------------------------------------------------


def house_page(client: Any, cast: Cast) -> Any:
    return client.get(url("desk_house", cast, cast.a.house.pk))


def token_of(response: Any) -> str:
    found = re.search(r'name="token" value="(desk-[0-9a-f]+)"', html(response))
    assert found is not None
    return found.group(1)


def test_find_a_house_by_its_number(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    search = url("desk_pay", cast)
    for query, expected in [
        ("1号楼-1-101", [cast.a.house]),
        ("1-1-101", [cast.a.house]),
        ("1-102", [cast.a.neighbour_house]),
        ("1-1-1", [cast.a.house, cast.a.neighbour_house]),
        ("10", [cast.a.house, cast.a.neighbour_house]),
        ("999", []),
    ]:
        page = html(client.get(search, {"compound": cast.a.compound.pk, "q": query}))
        found = [int(pk) for pk in re.findall(r'<tr data-house="(\d+)">', page)]
        assert found == [house.pk for house in expected], query
    # Another company's compound is not a choice.
    page = html(client.get(search, {"compound": cast.b.compound.pk, "q": "101"}))
    assert "Select a valid choice" in page
    assert 'data-house="' not in page


def test_house_page_shows_the_account_exactly(cast: Cast) -> None:
    billed(cast, months=3)
    page = html(house_page(as_user(cast.users[Role.COMPANY]), cast))
    assert 'data-figure="balance">129.60<' in page
    assert 'data-figure="open">3<' in page
    assert 'data-figure="credit">0.00<' in page
    # Owed 129.60 plus twelve months of 43.20 (art. 42).
    assert 'data-figure="ceiling">648.00<' in page
    assert [m for m in re.findall(r'<tr data-bill="([\d-]+)">', page)] == [
        f"{calc.add_months(THIS, back):%Y-%m}" for back in (-2, -1, 0)
    ]
    assert "data-payment-form" in page


def test_take_a_cash_payment_then_the_receipt(cast: Cast) -> None:
    billed(cast, months=3)
    client = as_user(cast.users[Role.COMPANY])
    token = token_of(house_page(client, cast))
    form = {"amount": "129.60", "channel": "cash", "reference": "", "note": "", "token": token}
    response = client.post(url("desk_house", cast, cast.a.house.pk), form)
    payment = Payment.objects.get()
    receipt = payment.receipt
    assert response.status_code == 302
    assert response["Location"] == url("desk_receipt", cast, receipt.pk)
    assert (payment.amount, payment.channel, payment.reference) == (D("129.60"), "cash", token)
    assert payment.received_by == cast.users[Role.COMPANY]
    assert receipt.number == f"{cast.a.company.code}-00000001"
    page = client.get(response["Location"])
    assert "Payment of 129.60 元 recorded for 1号楼-1-101." in html(page)
    assert "data-amount>129.60<" in html(page)
    assert "data-upper>人民币壹佰贰拾玖元陆角整<" in html(page)
    months = re.findall(r'<tr data-line="([\d-]+)">', html(page))
    assert months == [f"{calc.add_months(THIS, back):%Y-%m}" for back in (-2, -1, 0)]
    assert "<nav" not in html(page)  # a printable page: no menus
    # The same form sent again (a double click, a reload) records nothing more.
    again = client.post(url("desk_house", cast, cast.a.house.pk), form)
    assert again["Location"] == url("desk_receipt", cast, receipt.pk)
    assert (
        f"This payment was already recorded (receipt {receipt.number}); nothing was recorded "
        "twice." in html(client.get(again["Location"]))
    )
    assert Payment.objects.count() == 1
    assert Receipt.objects.count() == 1


def test_take_a_payment_for_the_resident_is_noted(cast: Cast) -> None:
    billed(cast, months=1)
    client = as_user(cast.users[Role.COMPANY])
    form = {
        "amount": "43.20",
        "channel": "bank",
        "reference": "BANK-778",
        "on_behalf": "on",
        "note": "by phone",
        "token": token_of(house_page(client, cast)),
    }
    assert client.post(url("desk_house", cast, cast.a.house.pk), form).status_code == 302
    payment = Payment.objects.get()
    assert payment.reference == "BANK-778"
    assert payment.note == "Taken for the resident by company (代办). by phone"
    event = AuditEvent.objects.get(action="payment.taken")
    assert event.changes["note"] == payment.note
    assert event.actor == cast.users[Role.COMPANY]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        # Owed 43.20 plus twelve months of 43.20: 561.60 at most (thirteen months ahead refused).
        (
            {"amount": "561.61"},
            "amount",
            "At most 561.60 may be paid now: what is owed plus 12 months ahead",
        ),
        ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "12.345"}, "amount", "no more than 2 decimal places"),
        ({"amount": "lots"}, "amount", "Enter a number."),
        ({"channel": "bank", "reference": ""}, "reference", "Enter the bank serial number"),
        ({"channel": "online"}, "channel", "Select a valid choice."),
        ({"token": "x"}, "token", "The form has expired"),
    ],
)
def test_take_a_payment_refuses_bad_input_and_writes_nothing(
    cast: Cast, form: dict[str, str], field: str, message: str
) -> None:
    billed(cast, months=1)
    client = as_user(cast.users[Role.COMPANY])
    data = {"amount": "43.20", "channel": "cash", "reference": "", "note": ""}
    data["token"] = token_of(house_page(client, cast))
    data.update(form)
    response = client.post(url("desk_house", cast, cast.a.house.pk), data)
    assert response.status_code == 200
    assert message in html(response)
    assert "No payment was recorded." in html(response) or field == "token"
    assert Payment.objects.count() == 0
    assert JournalEntry.objects.exclude(kind="charge").count() == 0


def test_take_a_payment_as_the_street_or_others_is_404(cast: Cast) -> None:
    billed(cast, months=1)
    form = {"amount": "43.20", "channel": "cash", "token": "desk-0123456789abcdef0123"}
    for who in [Role.STREET, *OUTSIDERS]:
        response = as_user(cast.users[who]).post(url("desk_house", cast, cast.a.house.pk), form)
        assert response.status_code == 404, who
    assert Payment.objects.count() == 0


# --- Receipts ----------------------------------------------------------------------------------


def test_receipts_list_filters_by_day_and_channel(cast: Cast) -> None:
    billed(cast, months=3)
    yesterday = TODAY - datetime.timedelta(days=1)
    first = pay(cast, "43.20", "R-1", received_on=yesterday)
    second = pay(cast, "30.00", "BANK-1", house=cast.a.neighbour_house, channel=Channel.BANK)
    client = as_user(cast.users[Role.COMPANY])
    listed = url("desk_receipts", cast)

    def numbers(params: dict[str, str]) -> list[str]:
        return re.findall(r'<tr data-receipt="([^"]+)"', html(client.get(listed, params)))

    assert numbers({}) == [second.number, first.number]
    assert numbers({"channel": "bank"}) == [second.number]
    assert numbers({"date_from": f"{TODAY}", "date_to": f"{TODAY}"}) == [second.number]
    assert numbers({"date_to": f"{yesterday}"}) == [first.number]
    page = text(client.get(listed, {"date_from": f"{TODAY}", "date_to": f"{TODAY}"}))
    assert "1 receipt, 30.00 元" in page
    assert f"Print every receipt of {TODAY}" in page


def test_receipt_batch_printing_one_per_page(cast: Cast) -> None:
    billed(cast, months=2)
    first = pay(cast, "43.20", "R-1")
    second = pay(cast, "30.00", "R-2", house=cast.a.neighbour_house)
    other = pay_b(cast)
    client = as_user(cast.users[Role.STREET])
    printed = url("desk_receipts_print", cast)
    page = html(client.get(printed, {"id": [second.pk, first.pk, other.pk]}))
    # The chosen receipts of this company, in number order; another company's is left out.
    assert re.findall(r'<article class="sheet receipt" data-receipt="([^"]+)"', page) == [
        first.number,
        second.number,
    ]
    assert "2 receipts, one per page" in page
    page = html(client.get(printed, {"day": f"{TODAY}"}))
    assert page.count('class="sheet receipt"') == 2
    assert client.get(printed).status_code == 404


def pay_b(cast: Cast) -> Receipt:
    """A receipt of company B (street B)."""
    posted_scheme(cast.b.compound, effective_from=calc.add_months(THIS, -24))
    bill(cast.b.house, THIS)
    return take_payment(
        house=cast.b.house,
        amount=D("43.20"),
        channel=Channel.CASH,
        reference="B-1",
        actor=user_with(Role.COMPANY, cast.b.company, "staff-b"),
    )


def test_receipt_of_another_company_is_404(cast: Cast) -> None:
    other = pay_b(cast)
    for who in (Role.COMPANY, Role.STREET):
        client = as_user(cast.users[who])
        assert client.get(url("desk_receipt", cast, other.pk)).status_code == 404
        assert client.get(url("desk_payment", cast, other.payment_id)).status_code == 404


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("150.00", "壹佰伍拾元整"),
        ("43.20", "肆拾叁元贰角整"),
        ("1.05", "壹元零伍分"),
        ("0.50", "伍角整"),
        ("10005.00", "壹万零伍元整"),
        ("100000000.00", "壹亿元整"),
        ("1010.10", "壹仟零壹拾元壹角整"),
        ("518.40", "伍佰壹拾捌元肆角整"),
        ("20000.07", "贰万元零柒分"),
    ],
)
def test_rmb_upper_writes_receipt_capitals(amount: str, words: str) -> None:
    assert rmb_upper(D(amount)) == words


# --- Reversal and refund -----------------------------------------------------------------------


def test_reverse_a_payment_from_its_page(cast: Cast) -> None:
    billed(cast, months=1)
    receipt = pay(cast, "43.20", "R-1")
    client = as_user(cast.users[Role.COMPANY])
    reverse_url = url("desk_payment_reverse", cast, receipt.payment_id)
    response = client.post(reverse_url, {"reason": "Entered twice"})
    assert response.status_code == 200
    assert "This field is required." in html(response)
    assert JournalEntry.objects.filter(reverses__isnull=False).count() == 0
    response = client.post(reverse_url, {"reason": "Entered twice", "confirm": "on"})
    assert response.status_code == 302
    assert JournalEntry.objects.filter(reverses__isnull=False, kind="payment").count() == 1
    assert Bill.objects.get(house=cast.a.house).paid == D("0.00")
    page = html(client.get(url("desk_payment", cast, receipt.payment_id)))
    assert "data-reversed" in page
    assert "Reverse the payment" not in page
    printed = html(client.get(url("desk_receipt", cast, receipt.pk)))
    assert "REVERSED — this payment was cancelled" in printed
    # Twice is refused, as the service says.
    response = client.post(reverse_url, {"reason": "again", "confirm": "on"})
    assert "already been reversed" in html(response)
    assert JournalEntry.objects.filter(reverses__isnull=False, kind="payment").count() == 1


def test_refund_credit_from_a_payment_page(cast: Cast) -> None:
    billed(cast, months=1)
    receipt = pay(cast, "100.00", "R-1")  # 43.20 pays the bill, 56.80 is kept as credit
    client = as_user(cast.users[Role.COMPANY])
    page = html(client.get(url("desk_payment", cast, receipt.payment_id)))
    assert 'data-credit="56.80"' in page
    refund = url("desk_refund", cast, receipt.payment_id)
    form = {"amount": "60.00", "channel": "cash", "reason": "Moving out", "confirm": "on"}
    response = client.post(refund, form)
    assert "At most 56.80 may be refunded" in html(response)
    assert not JournalEntry.objects.filter(kind="refund").exists()
    response = client.post(refund, {**form, "amount": "56.80"})
    assert response.status_code == 302
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_reverse_and_refund_by_the_street_or_others_is_404(cast: Cast) -> None:
    billed(cast, months=1)
    receipt = pay(cast, "100.00", "R-1")
    form = {"amount": "10.00", "channel": "cash", "reason": "x", "confirm": "on"}
    for who in [Role.STREET, *OUTSIDERS]:
        client = as_user(cast.users[who])
        for name in ("desk_payment_reverse", "desk_refund"):
            response = client.post(url(name, cast, receipt.payment_id), form)
            assert response.status_code == 404, (who, name)
    assert not JournalEntry.objects.filter(kind="refund").exists()
    assert not JournalEntry.objects.filter(reverses__isnull=False).exists()


# --- Arrears and reminders ---------------------------------------------------------------------


def behind(cast: Cast) -> None:
    """Five months billed; the house paid its two oldest: it owes 2 months (86.40, since
    THIS-2), the neighbour 4 months (120.00, since THIS-4)."""
    billed(cast, months=5)
    pay(cast, "86.40", "R-1")


def test_arrears_buckets_and_rows_exactly(cast: Cast) -> None:
    behind(cast)
    client = as_user(cast.users[Role.COMPANY])
    page = html(client.get(url("desk_arrears", cast)))
    buckets = {
        key: (int(households), amount)
        for key, households, amount in re.findall(
            r'<tr data-bucket="([^"]+)">.*?data-households>(\d+)<.*?data-amount>([\d.,]+)<',
            page,
            re.S,
        )
    }
    # Households by their oldest overdue bill; amounts by each bill's age.
    assert buckets == {
        "1-3": (1, "176.40"),
        "4-6": (1, "30.00"),
        "7-12": (0, "0.00"),
        "13+": (0, "0.00"),
        "total": (2, "206.40"),
    }
    # The same figures as the district's ageing (queries.arrears_by_age) for the company.
    ageing = arrears_by_age(user=cast.users[Role.COMPANY], as_of=TODAY)
    assert {k: (v["households"], f"{v['amount']:.2f}") for k, v in ageing.items()} == {
        k: v for k, v in buckets.items() if k != "total"
    }
    rows = re.findall(r'<tr data-house="([^"]+)" data-bucket="([^"]+)">(.*?)</tr>', page, re.S)
    assert [(label, bucket) for label, bucket, _row in rows] == [
        ("1号楼-1-102", "4-6"),
        ("1号楼-1-101", "1-3"),
    ]
    assert "data-months>4<" in rows[0][2] and "data-owed>120.00<" in rows[0][2]
    assert "data-months>2<" in rows[1][2] and "data-owed>86.40<" in rows[1][2]
    # House numbers, never names.
    for name in ("甲居民", "甲邻居", "13812341234"):
        assert name not in page
    only = html(client.get(url("desk_arrears", cast), {"bucket": "4-6"}))
    assert re.findall(r'<tr data-house="([^"]+)"', only) == ["1号楼-1-102"]


def test_reminder_notice_is_polite_and_exact(cast: Cast) -> None:
    behind(cast)
    client = as_user(cast.users[Role.COMPANY])
    response = client.get(url("desk_reminder", cast, cast.a.neighbour_house.pk))
    page = text(response)
    assert "To the household of 1号楼-1-102, 甲一号院:" in page
    first, last = calc.add_months(THIS, -4), calc.add_months(THIS, -1)
    # Four unpaid months of 30.00 on one line.
    assert f"{first:%Y-%m} to {last:%Y-%m} (4 months) 30.00 0.00 120.00" in page
    assert "Total open 120.00" in page
    assert "No late fee is charged." in page
    assert "it is not posted publicly" in page
    for word in ("甲邻居", "cut", "water", "electricity", "lift", "parking", "access"):
        assert word not in page
    # A house that owes nothing overdue has no reminder.
    paid_up = HouseFactory(building=cast.a.building, room="103")
    assert client.get(url("desk_reminder", cast, paid_up.pk)).status_code == 404


def test_reminder_lines_group_unpaid_months_of_the_same_fee(cast: Cast) -> None:
    billed(cast, months=5)
    pay(cast, "50.00", "R-1")  # THIS-4 paid, THIS-3 paid 6.80 of 43.20
    page = text(as_user(cast.users[Role.COMPANY]).get(url("desk_reminder", cast, cast.a.house.pk)))
    m = [f"{calc.add_months(THIS, back):%Y-%m}" for back in (-3, -2, -1)]
    assert f"{m[0]} 43.20 6.80 36.40" in page
    assert f"{m[1]} to {m[2]} (2 months) 43.20 0.00 86.40" in page
    assert "Total open 122.80" in page


def test_reminders_in_a_batch_one_per_page(cast: Cast) -> None:
    behind(cast)
    client = as_user(cast.users[Role.STREET])
    batch = url("desk_reminders", cast)
    page = html(client.get(batch, {"house": [cast.a.house.pk, cast.a.neighbour_house.pk]}))
    assert re.findall(r'<article class="sheet reminder" data-house="([^"]+)"', page) == [
        "1号楼-1-101",
        "1号楼-1-102",
    ]
    page = html(client.get(batch, {"bucket": "4-6"}))
    assert re.findall(r'<article class="sheet reminder" data-house="([^"]+)"', page) == [
        "1号楼-1-102"
    ]
    # Another company's house is not printed.
    pay_b(cast)
    page = html(client.get(batch, {"house": [cast.b.house.pk]}))
    assert 'class="sheet reminder"' not in page


def test_arrears_export_lists_every_row(cast: Cast) -> None:
    behind(cast)
    response = as_user(cast.users[Role.COMPANY]).get(url("desk_arrears_export", cast))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="arrears-{TODAY:%Y%m%d}.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1:] == [
        ["1号楼-1-102", "甲一号院", f"{calc.add_months(THIS, -4):%Y-%m}", 4, 4, 120, "No"],
        ["1号楼-1-101", "甲一号院", f"{calc.add_months(THIS, -2):%Y-%m}", 2, 2, 86.4, "No"],
    ]


# --- Imports -----------------------------------------------------------------------------------

PAYMENT_HEADER = ["小区编码", "房号", "金额", "方式", "流水号", "日期", "备注"]


def workbook(*rows: Any, name: str = "ledger.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PAYMENT_HEADER)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_import_payments_records_the_sheet(cast: Cast) -> None:
    billed(cast, months=2)
    code, day = cast.a.compound.code, f"{TODAY}"
    sheet = workbook(
        (code, "1号楼-1-101", "86.40", "现金", "XJ-0001", day, "two months"),
        (code, "1号楼-1-102", "30.00", "银行转账", "YH-778899", day, None),
    )
    client = as_user(cast.users[Role.COMPANY])
    response = client.post(url("desk_import_payments", cast), {"file": sheet})
    assert response.status_code == 200
    page = html(response)
    assert "data-rows>2<" in page and "data-created>2<" in page and "data-already>0<" in page
    assert "2 rows recorded, 0 already recorded before (nothing paid twice)." in page
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["XJ-0001", "YH-778899"]


def test_import_payments_with_a_bad_row_records_nothing_and_reports_it(cast: Cast) -> None:
    billed(cast, months=2)
    code, day = cast.a.compound.code, f"{TODAY}"
    sheet = workbook(
        (code, "1号楼-1-101", "86.40", "现金", "XJ-0001", day, None),
        (code, "9号楼-9-999", "30.00", "现金", "XJ-0002", day, None),
    )
    client = as_user(cast.users[Role.COMPANY])
    response = client.post(url("desk_import_payments", cast), {"file": sheet})
    page = html(response)
    assert 'data-import-errors="1"' in page
    assert 'data-error-row="3"' in page
    assert Payment.objects.count() == 0
    report = re.search(r'href="([^"]+)" data-report', page)
    assert report is not None
    download = client.get(report.group(1))
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == 3
    # The report is the uploader's: another user of the company cannot fetch it.
    colleague = user_with(Role.COMPANY, cast.a.company, "colleague")
    assert as_user(colleague).get(report.group(1)).status_code == 404


def test_import_refuses_a_file_that_is_not_excel(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    upload = SimpleUploadedFile("ledger.csv", b"a,b\n1,2\n")
    response = client.post(url("desk_import_opening", cast), {"file": upload})
    assert "Upload an Excel workbook (.xlsx)." in html(response)


def test_import_by_the_street_or_others_is_404(cast: Cast) -> None:
    billed(cast, months=1)
    code = cast.a.compound.code
    for who in [Role.STREET, *OUTSIDERS]:
        sheet = workbook((code, "1号楼-1-101", "43.20", "现金", "XJ-1", f"{TODAY}", None))
        response = as_user(cast.users[who]).post(url("desk_import_payments", cast), {"file": sheet})
        assert response.status_code == 404, who
    assert Payment.objects.count() == 0


# --- Day close ---------------------------------------------------------------------------------


def test_day_close_shows_expected_and_records_the_difference(cast: Cast) -> None:
    billed(cast, months=2)
    pay(cast, "86.40", "R-1")
    pay(cast, "30.00", "BANK-1", house=cast.a.neighbour_house, channel=Channel.BANK)
    client = as_user(cast.users[Role.COMPANY])
    page = html(client.get(url("desk_close", cast)))
    assert '<tr data-channel="cash" data-expected="86.40">' in page
    assert '<tr data-channel="bank" data-expected="30.00">' in page
    form = {
        "day": f"{TODAY}",
        "counted_cash": "86.00",
        "counted_bank": "30.00",
        "counted_pos": "0.00",
        "counted_online": "0.00",
        "note": "40 fen short",
    }
    response = client.post(url("desk_close", cast), form)
    assert "This field is required." in html(response)  # the confirmation
    assert DayClose.objects.count() == 0
    response = client.post(url("desk_close", cast), {**form, "confirm": "on"})
    assert response.status_code == 302
    close = DayClose.objects.get()
    assert close.difference == {"cash": "-0.40", "bank": "0.00", "pos": "0.00", "online": "0.00"}
    page = html(client.get(response["Location"]))
    assert "You closed this day at" in page
    assert "data-close-form" not in page
    assert "data-difference>-0.40<" in page
    # The street reads the closes; it cannot close a day.
    street = as_user(cast.users[Role.STREET])
    assert "data-difference>-0.40<" in html(street.get(url("desk_close", cast)))
    assert street.post(url("desk_close", cast), {**form, "confirm": "on"}).status_code == 404
    assert DayClose.objects.count() == 1


def test_day_close_of_a_future_day_is_today(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMPANY])
    tomorrow = TODAY + datetime.timedelta(days=1)
    page = html(client.get(url("desk_close", cast), {"day": f"{tomorrow}"}))
    assert f'name="day" value="{TODAY}"' in page


# --- Constant queries on the lists --------------------------------------------------------------


def queries_for(client: Any, page: str) -> int:
    client.get(page)  # the session and the user's scope, once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page).status_code == 200
    return len(captured.captured_queries)


def more_houses(cast: Cast, count: int) -> list[Any]:
    return [HouseFactory(building=cast.a.building, room=f"2{n:02d}") for n in range(count)]


def test_lists_take_the_same_queries_for_one_or_three_rows(cast: Cast) -> None:
    scheme = billed(cast, months=2)
    pay(cast, "43.20", "R-1")
    client = as_user(cast.users[Role.COMPANY])
    BillingRun.objects.create(period=THIS, district=cast.district, company=cast.a.company)
    pages = [
        url("desk_home", cast),
        url("desk_schemes", cast),
        url("desk_runs", cast),
        url("desk_receipts", cast),
        url("desk_arrears", cast),
        url("desk_pay", cast) + f"?compound={cast.a.compound.pk}&q=",
        url("desk_close", cast),
    ]
    one = {page: queries_for(client, page) for page in pages}
    # Two more of everything: houses, bills, receipts, runs, schemes, compounds.
    for n, house in enumerate(more_houses(cast, 2)):
        for back in range(2):
            bill(house, calc.add_months(THIS, -back), scheme)
        pay(cast, "10.00", f"R-more-{n}", house=house)  # last month stays overdue
        BillingRun.objects.create(period=LAST, district=cast.district, company=cast.a.company)
        posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, 3 + n))
    for compound in (cast.a.other_compound, cast.b.other_compound):
        compound.company = cast.a.company
        compound.save(update_fields=["company"])
    three = {page: queries_for(client, page) for page in pages}
    assert three == one
    assert len(re.findall(r'<tr data-receipt="', html(client.get(pages[3])))) == 3
    assert len(re.findall(r'<tr data-house="', html(client.get(pages[4])))) == 3


def test_committee_list_takes_the_same_queries_for_one_or_three_schemes(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMMITTEE])
    page = reverse("billing:desk_cosign_list")
    posted_scheme(cast.a.compound)
    one = queries_for(client, page)
    for n in range(2):
        posted_scheme(cast.a.compound, effective_from=calc.add_months(THIS, 3 + n))
    assert queries_for(client, page) == one


def test_runs_list_shows_the_runs_that_billed_the_company(cast: Cast) -> None:
    def run(**scope: Any) -> BillingRun:
        return BillingRun.objects.create(period=THIS, district=scope.pop("district"), **scope)

    own = run(district=cast.district, company=cast.a.company)
    compound = run(district=cast.district, compound=cast.a.compound, company=cast.a.company)
    street = run(district=cast.district, street=cast.a.street)
    district = run(district=cast.district)
    run(district=cast.district, street=cast.b.street)
    run(district=cast.district, company=cast.b.company)
    run(district=cast.c.street.district)

    def listed(role: str) -> list[int]:
        page = html(as_user(cast.users[role]).get(url("desk_runs", cast)))
        return [int(pk) for pk in re.findall(r'<tr data-run="(\d+)"', page)]

    # The company reads its own runs; the street also its street's; the district's stays there.
    assert listed(Role.COMPANY) == [compound.pk, own.pk]
    assert listed(Role.STREET) == [street.pk, compound.pk, own.pk]
    assert district.pk not in listed(Role.STREET)


def test_scheme_propose_by_the_owning_street_for_the_compound_it_runs(cast: Cast) -> None:
    client = as_user(cast.users[Role.STREET])
    response = client.post(url("desk_scheme_propose", cast), scheme_form(cast))
    assert response.status_code == 302
    scheme = FeeScheme.objects.get()
    assert (scheme.company_id, scheme.proposed_by) == (cast.a.company.pk, cast.users[Role.STREET])


# --- In a browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cashier_takes_a_payment_and_follows_a_run_in_the_browser(
    browser_page: Any, live_server: Any, cast: Cast
) -> None:
    billed(cast, months=1)
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    house = url("desk_house", cast, cast.a.house.pk)
    page.goto(f"{live_server.url}/accounts/login/?next={house}")
    page.fill("input[name=username]", cast.users[Role.COMPANY].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{house}")
    # Cash needs no reference: the field is hidden until another channel is chosen.
    assert page.locator('[data-field="reference"]').is_hidden()
    page.select_option("select[name=channel]", "bank")
    assert page.locator('[data-field="reference"]').is_visible()
    page.select_option("select[name=channel]", "cash")
    page.fill("input[name=amount]", "43.20")
    page.get_by_role("button", name="Take the payment and print the receipt").click()
    page.wait_for_url("**/receipts/**")
    assert page.locator("[data-amount]").inner_text() == "43.20"
    assert page.locator("[data-upper]").inner_text() == "人民币肆拾叁元贰角整"
    page.screenshot(path="test-artifacts/desk-receipt.png", full_page=True)
    assert Payment.objects.get().amount == D("43.20")

    # The run page polls its progress (htmx, every 2 s) until the run is done.
    run = BillingRun.objects.create(
        period=THIS, district=cast.district, company=cast.a.company, compounds_total=1
    )
    page.goto(f"{live_server.url}{url('desk_run', cast, run.pk)}")
    assert page.locator("#run-progress").get_attribute("data-run-status") == "pending"
    BillingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, compounds_done=1, bills_created=2, amount_created=D("73.20")
    )
    page.wait_for_selector('#run-progress[data-run-status="done"]', timeout=10_000)
    assert page.locator("#run-progress [data-bills]").inner_text() == "2"
    assert errors == []
