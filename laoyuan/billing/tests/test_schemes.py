import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.billing.calc import add_months
from laoyuan.billing.enums import SchemeBasis, SchemeStatus
from laoyuan.billing.models import FeeScheme
from laoyuan.billing.services.schemes import (
    cosign_scheme,
    earliest_effective,
    latest_posting,
    post_scheme,
    propose_scheme,
    withdraw_scheme,
)
from laoyuan.billing.tests.factories import posted_scheme
from laoyuan.core.models import AuditEvent
from laoyuan.factories import CompanyFactory, grant, user_with
from laoyuan.orgs.enums import CompanyKind
from laoyuan.places.enums import ManagementMode
from laoyuan.places.services import change_management_mode

pytestmark = pytest.mark.django_db

PACKAGE = [
    {"item": " Guard ", "standard": "24 h at the gate"},
    {"item": "Cleaning", "standard": "Daily"},
]
COSTS = [
    {"item": "Guards' wages", "monthly": "3600"},
    {"item": "Cleaning", "monthly": Decimal("1200.5")},
]


def start() -> datetime.date:
    """The earliest start a scheme proposed today may have."""
    return earliest_effective(timezone.localdate())


def propose(cast, actor=None, compound=None, **overrides):
    arguments = {
        "compound": compound or cast.a.compound,
        "basis": SchemeBasis.PER_AREA,
        "rate": "0.50",
        "effective_from": start(),
        "package": PACKAGE,
        "costs": COSTS,
        "actor": actor or cast.users[Role.COMPANY],
    }
    arguments.update(overrides)
    return propose_scheme(**arguments)


def refusal(call, *args, **kwargs) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


def scheme_events() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="fee_scheme.")
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("posted", "earliest"),
    [
        (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)),
        (datetime.date(2026, 3, 2), datetime.date(2026, 5, 1)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 3, 1)),
        (datetime.date(2026, 12, 15), datetime.date(2027, 2, 1)),
    ],
)
def test_earliest_effective_is_a_first_at_least_a_calendar_month_later(posted, earliest):
    assert earliest_effective(posted) == earliest


def test_latest_posting_is_the_first_of_the_month_before():
    assert latest_posting(datetime.date(2026, 4, 1)) == datetime.date(2026, 3, 1)
    assert latest_posting(datetime.date(2027, 1, 1)) == datetime.date(2026, 12, 1)


def test_company_proposes_a_scheme_with_clean_lines_and_an_audit_event(cast):
    scheme = propose(cast, trial_months=3, vacant_percent=50, unsold_percent=0, note=" Tiered ")
    assert scheme.status == SchemeStatus.PROPOSED
    assert (scheme.company, scheme.district_id, scheme.street_id) == (
        cast.a.company,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert (scheme.rate, scheme.effective_from, scheme.trial_months) == (
        Decimal("0.50"),
        start(),
        3,
    )
    assert (scheme.vacant_percent, scheme.unsold_percent, scheme.note) == (50, 0, "Tiered")
    assert scheme.package == [
        {"item": "Guard", "standard": "24 h at the gate"},
        {"item": "Cleaning", "standard": "Daily"},
    ]
    assert scheme.costs == [
        {"item": "Guards' wages", "monthly": "3600.00"},
        {"item": "Cleaning", "monthly": "1200.50"},
    ]
    assert scheme.proposed_by == cast.users[Role.COMPANY]
    event = AuditEvent.objects.get(action="fee_scheme.proposed")
    assert (event.target_id, event.district_id, event.street_id) == (
        scheme.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes["rate"] == "0.50"


def test_street_proposes_for_the_compound_its_public_company_runs(cast):
    scheme = propose(cast, actor=cast.users[Role.STREET])
    assert scheme.proposed_by == cast.users[Role.STREET]


@pytest.mark.parametrize(
    "who", [Role.DISTRICT, Role.COMMUNITY, Role.COMMITTEE, Role.RESIDENT, "outsider"]
)
def test_others_cannot_propose_and_nothing_is_written(cast, who):
    with pytest.raises(PermissionDenied):
        propose(cast, actor=cast.users[who])
    assert FeeScheme.objects.count() == 0
    assert scheme_events() == []


def test_street_cannot_propose_for_a_professional_company(cast):
    company = CompanyFactory(district=cast.district, kind=CompanyKind.PROFESSIONAL)
    change_management_mode(
        compound=cast.a.other_compound,
        mode=ManagementMode.PROFESSIONAL,
        company=company,
        effective_on=datetime.date(2022, 1, 1),
        reason="contract",
        actor=None,
    )
    with pytest.raises(PermissionDenied):
        propose(cast, actor=cast.users[Role.STREET], compound=cast.a.other_compound)
    scheme = propose(cast, actor=user_with(Role.COMPANY, company), compound=cast.a.other_compound)
    assert scheme.company == company


def test_compound_without_a_company_cannot_have_a_scheme(cast):
    errors = refusal(propose, cast, compound=cast.a.other_compound)
    assert errors == {
        "compound": [
            "This compound has no property company, so it has no fee scheme: its owners manage "
            "it themselves."
        ]
    }
    assert FeeScheme.objects.count() == 0


def test_effective_date_must_be_a_first_a_month_ahead(cast):
    assert refusal(propose, cast, effective_from=start().replace(day=2)) == {
        "effective_from": ["A scheme takes effect on the first of a month."]
    }
    too_soon = add_months(start(), -1)
    assert refusal(propose, cast, effective_from=too_soon) == {
        "effective_from": [
            "A scheme is posted at least a month before it takes effect: the earliest start is "
            f"{start().isoformat()}."
        ]
    }
    assert FeeScheme.objects.count() == 0


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "The rate must be more than zero."),
        ("-0.50", "The rate must be more than zero."),
        ("0.505", "The rate has at most two decimal places (yuan and fen)."),
        ("abc", "Enter the rate as a number of yuan, such as 0.50."),
        (0.5, "Enter the rate as a number of yuan, such as 0.50."),
        ("NaN", "Enter the rate as a number of yuan, such as 0.50."),
    ],
)
def test_bad_rates_are_refused(cast, rate, message):
    assert refusal(propose, cast, rate=rate) == {"rate": [message]}
    assert FeeScheme.objects.count() == 0


def test_bad_lines_are_named_by_line_number_and_nothing_is_written(cast):
    errors = refusal(
        propose,
        cast,
        basis="per_person",
        trial_months=13,
        vacant_percent=101,
        unsold_percent=-1,
        package=[{"item": "Guard", "standard": "24 h"}, {"item": " ", "standard": ""}, "x"],
        costs=[
            {"item": "Wages", "monthly": "-1"},
            {"item": "Cleaning", "monthly": "1.234"},
            {"item": "", "monthly": "abc"},
        ],
    )
    assert errors == {
        "basis": ["Choose per area or per household."],
        "trial_months": ["Trial months are a whole number from 0 to 12."],
        "vacant_percent": ["Enter a whole percent from 0 to 100."],
        "unsold_percent": ["Enter a whole percent from 0 to 100."],
        "package": [
            "Line 2: name the service.",
            "Line 2: describe its standard.",
            "Line 3: name the service.",
            "Line 3: describe its standard.",
        ],
        "costs": [
            "Line 1: a cost cannot be negative.",
            "Line 2: the amount has at most two decimal places.",
            "Line 3: name the cost.",
            "Line 3: enter the monthly amount in yuan, such as 3600.00.",
        ],
    }
    assert FeeScheme.objects.count() == 0
    assert scheme_events() == []


def test_package_and_costs_may_not_be_empty(cast):
    assert refusal(propose, cast, package=[], costs=[]) == {
        "package": ["List at least one service in the package."],
        "costs": ["List at least one monthly cost, so residents can do the sums."],
    }


def test_committee_cosigns_then_company_posts(cast):
    scheme = propose(cast)
    cosigned = cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    assert (cosigned.status, cosigned.cosigned_by) == (
        SchemeStatus.COSIGNED,
        cast.users[Role.COMMITTEE],
    )
    assert cosigned.cosigned_at is not None
    on = latest_posting(scheme.effective_from)
    posted = post_scheme(scheme=scheme, actor=cast.users[Role.COMPANY], on=on)
    assert (posted.status, posted.posted_on, posted.posted_by) == (
        SchemeStatus.POSTED,
        on,
        cast.users[Role.COMPANY],
    )
    assert scheme_events() == ["fee_scheme.proposed", "fee_scheme.cosigned", "fee_scheme.posted"]


def test_posting_defaults_to_today(cast):
    scheme = propose(cast)
    cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    posted = post_scheme(scheme=scheme, actor=cast.users[Role.STREET])
    assert posted.posted_on == timezone.localdate()


def test_posting_later_than_a_month_ahead_is_refused_naming_the_dates(cast):
    scheme = propose(cast, effective_from=datetime.date(2031, 4, 1))
    cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    errors = refusal(
        post_scheme, scheme=scheme, actor=cast.users[Role.COMPANY], on=datetime.date(2031, 3, 2)
    )
    assert errors == {
        "effective_from": [
            "A scheme is posted at least one month before it takes effect. To start on "
            "2031-04-01 it had to be posted by 2031-03-01; posted on 2031-03-02, it can take "
            "effect from 2031-05-01 at the earliest: withdraw it and propose it again."
        ]
    }
    scheme.refresh_from_db()
    assert (scheme.status, scheme.posted_on) == (SchemeStatus.COSIGNED, None)
    # On the last day allowed it goes up.
    post_scheme(scheme=scheme, actor=cast.users[Role.COMPANY], on=datetime.date(2031, 3, 1))


@pytest.mark.parametrize("who", [Role.COMPANY, Role.STREET, Role.RESIDENT, "outsider"])
def test_only_the_compound_committee_cosigns(cast, who):
    scheme = propose(cast)
    with pytest.raises(PermissionDenied):
        cosign_scheme(scheme=scheme, actor=cast.users[who])
    scheme.refresh_from_db()
    assert (scheme.status, scheme.cosigned_by) == (SchemeStatus.PROPOSED, None)


def test_company_staff_on_the_committee_cannot_cosign_its_own_scheme(cast):
    staff = cast.users[Role.COMPANY]
    grant(staff, Role.COMMITTEE, cast.a.compound)
    scheme = propose(cast)
    with pytest.raises(PermissionDenied):
        cosign_scheme(scheme=scheme, actor=staff)
    # Nor may a street officer who proposed it co-sign it as a committee member.
    street = cast.users[Role.STREET]
    grant(street, Role.COMMITTEE, cast.a.compound)
    by_street = propose(cast, actor=street)
    with pytest.raises(PermissionDenied):
        cosign_scheme(scheme=by_street, actor=street)


def test_steps_out_of_order_are_refused(cast):
    scheme = propose(cast)
    assert refusal(post_scheme, scheme=scheme, actor=cast.users[Role.COMPANY]) == {
        "status": [
            "Only a co-signed scheme can be posted; this one is: Proposed, awaiting co-signature."
        ]
    }
    cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    assert refusal(cosign_scheme, scheme=scheme, actor=cast.users[Role.COMMITTEE]) == {
        "status": [
            "Only a proposed scheme can be co-signed; this one is: Co-signed, not yet posted."
        ]
    }


@pytest.mark.parametrize("who", [Role.COMMITTEE, Role.DISTRICT, "outsider"])
def test_only_the_proposer_side_posts(cast, who):
    scheme = propose(cast)
    cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    with pytest.raises(PermissionDenied):
        post_scheme(scheme=scheme, actor=cast.users[who])
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.COSIGNED


def test_a_change_of_company_voids_the_proposal(cast):
    scheme = propose(cast)
    company = CompanyFactory(district=cast.district, kind=CompanyKind.PROFESSIONAL)
    change_management_mode(
        compound=cast.a.compound,
        mode=ManagementMode.PROFESSIONAL,
        company=company,
        effective_on=timezone.localdate(),
        reason="owners hired a company",
        actor=None,
    )
    assert refusal(cosign_scheme, scheme=scheme, actor=cast.users[Role.COMMITTEE]) == {
        "company": [
            "The compound has changed company since this scheme was proposed; the company "
            "serving it now proposes its own."
        ]
    }


def test_proposer_withdraws_a_posted_scheme_before_it_takes_effect(cast):
    scheme = propose(cast)
    cosign_scheme(scheme=scheme, actor=cast.users[Role.COMMITTEE])
    post_scheme(scheme=scheme, actor=cast.users[Role.COMPANY])
    assert refusal(withdraw_scheme, scheme=scheme, actor=cast.users[Role.COMPANY], reason=" ") == {
        "reason": ["Say why the scheme is withdrawn."]
    }
    withdrawn = withdraw_scheme(
        scheme=scheme, actor=cast.users[Role.COMPANY], reason="Costs were mistyped"
    )
    assert withdrawn.status == SchemeStatus.WITHDRAWN
    event = AuditEvent.objects.get(action="fee_scheme.withdrawn")
    assert event.changes == {
        "before": "posted",
        "status": "withdrawn",
        "reason": "Costs were mistyped",
    }
    assert refusal(withdraw_scheme, scheme=scheme, actor=cast.users[Role.COMPANY], reason="x") == {
        "status": ["This scheme cannot be withdrawn: it is Withdrawn."]
    }


def test_a_scheme_in_force_cannot_be_withdrawn(cast):
    scheme = posted_scheme(cast.a.compound, effective_from=datetime.date(2025, 1, 1))
    assert refusal(
        withdraw_scheme, scheme=scheme, actor=cast.users[Role.COMPANY], reason="too dear"
    ) == {
        "effective_from": ["The scheme took effect on 2025-01-01; propose a new one to replace it."]
    }
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.POSTED


@pytest.mark.parametrize("who", [Role.COMMITTEE, Role.RESIDENT, "outsider"])
def test_only_the_proposer_side_withdraws(cast, who):
    scheme = propose(cast)
    with pytest.raises(PermissionDenied):
        withdraw_scheme(scheme=scheme, actor=cast.users[who], reason="no")
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PROPOSED
