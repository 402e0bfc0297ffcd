"""change_management_mode: the only way a compound's management mode changes."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core import audit
from laoyuan.core.models import AuditEvent
from laoyuan.factories import Cast, CompanyFactory
from laoyuan.orgs.enums import CompanyKind
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, ManagementPeriod, Takeover
from laoyuan.places.services import (
    agreement_file_error,
    change_management_mode,
    files_removed_on_failure,
)

PDF = b"%PDF-1.7\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.fixture(autouse=True)
def _english():
    """Error messages are compared in English, whatever the default language."""
    with translation.override("en"):
        yield


def written() -> tuple[int, int, int]:
    return (
        ManagementPeriod.objects.count(),
        AuditEvent.objects.count(),
        Takeover.objects.count(),
    )


def test_change_management_mode_closes_old_opens_new_and_audits(cast: Cast) -> None:
    actor = cast.users[Role.STREET]
    compound = cast.a.compound
    professional = CompanyFactory(kind=CompanyKind.PROFESSIONAL, name="社会物业")
    old = ManagementPeriod.objects.get(compound=compound, ended_on__isnull=True)

    period = change_management_mode(
        compound=compound,
        mode=ManagementMode.PROFESSIONAL,
        company=professional,
        effective_on=datetime.date(2025, 7, 1),
        reason="  Owners hired a professional company.  ",
        actor=actor,
    )

    old.refresh_from_db()
    assert old.ended_on == datetime.date(2025, 6, 30)
    assert (period.mode, period.company, period.started_on, period.ended_on) == (
        ManagementMode.PROFESSIONAL,
        professional,
        datetime.date(2025, 7, 1),
        None,
    )
    assert period.reason == "Owners hired a professional company."
    assert period.recorded_by == actor
    compound = Compound.objects.get(pk=compound.pk)
    assert (compound.management_mode, compound.company) == ("professional", professional)
    event = AuditEvent.objects.filter(action="compound.mode_changed").first()
    assert event.actor == actor
    assert event.target_id == compound.pk
    assert event.street_id == cast.a.street.pk
    assert event.changes == {
        "before": {"mode": "public", "company": {"id": cast.a.company.pk, "str": "甲公办物业"}},
        "after": {"mode": "professional", "company": {"id": professional.pk, "str": "社会物业"}},
        "effective_on": "2025-07-01",
        "reason": "Owners hired a professional company.",
    }


def test_change_management_mode_takeover_keeps_files_and_audits_terms(cast: Cast) -> None:
    compound = cast.a.other_compound
    change_management_mode(
        compound=compound,
        mode=ManagementMode.PUBLIC,
        company=cast.a.company,
        effective_on=datetime.date(2024, 5, 1),
        reason="takeover",
        actor=cast.users[Role.DISTRICT],
        takeover={
            "trial_months": 0,
            "entrustment_signed_on": datetime.date(2024, 4, 20),
            "entrustment_party": "甲社区",
            "entrustment_file": SimpleUploadedFile("委托.pdf", PDF),
            "service_agreement_signed_on": None,
            "service_agreement_file": SimpleUploadedFile("scan.jpg", JPEG),
        },
    )
    takeover = Takeover.objects.get(compound=compound)
    assert takeover.trial_months == 0
    assert takeover.entrustment_file.read() == PDF
    assert takeover.service_agreement_file.read() == JPEG
    facts = AuditEvent.objects.filter(action="compound.mode_changed").first().changes["takeover"]
    assert facts["trial_months"] == 0
    assert facts["entrustment_signed_on"] == "2024-04-20"
    assert facts["entrustment_file"] == takeover.entrustment_file.name
    assert facts["service_agreement_file"] == takeover.service_agreement_file.name


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"reason": " "}, {"reason": ["Say why the mode changes."]}),
        (
            {"effective_on": datetime.date(2021, 3, 1)},
            {"effective_on": ["The change must take effect after 2021-03-01."]},
        ),
        (
            {"mode": ManagementMode.PUBLIC, "company": "a"},
            {
                "mode": ["The compound is already managed this way."],
                "entrustment_signed_on": [
                    "A public takeover needs the date of the entrustment agreement."
                ],
            },
        ),
        (
            {"mode": ManagementMode.OWNER_SELF, "company": "a"},
            {"company": ["Only professional and public management have a company."]},
        ),
        (
            {"mode": ManagementMode.PROFESSIONAL, "company": "a"},
            {"company": ["Professional management needs a professional company."]},
        ),
        (
            {"mode": "royal"},
            {"mode": ["Unknown management mode."]},
        ),
        (
            {
                "mode": ManagementMode.PUBLIC,
                "company": "professional",
                "takeover": {"entrustment_signed_on": None, "trial_months": -1},
            },
            {
                "company": ["A public takeover needs a street public company."],
                "entrustment_signed_on": [
                    "A public takeover needs the date of the entrustment agreement."
                ],
                "trial_months": ["Trial months cannot be negative."],
            },
        ),
        (
            {
                "mode": ManagementMode.PUBLIC,
                "company": "b",
                "takeover": {
                    "entrustment_signed_on": datetime.date(2025, 1, 1),
                    "entrustment_file": SimpleUploadedFile("x.pdf", b"<html>"),
                    "service_agreement_file": SimpleUploadedFile("x.exe", PDF),
                },
            },
            {
                "mode": ["The compound is already managed this way."],
                "entrustment_file": ["The file's content is not a PDF, JPEG or PNG."],
                "service_agreement_file": ["Upload a PDF, JPEG or PNG file."],
            },
        ),
    ],
)
def test_change_management_mode_refuses_and_writes_nothing(cast: Cast, changes, errors) -> None:
    companies = {
        "a": cast.a.company,
        "b": cast.a.company,
        "professional": CompanyFactory(kind=CompanyKind.PROFESSIONAL),
    }
    arguments = {
        "compound": cast.a.compound,
        "mode": ManagementMode.OWNER_SELF,
        "company": None,
        "effective_on": datetime.date(2025, 1, 1),
        "reason": "why",
        "actor": cast.users[Role.STREET],
    }
    arguments.update(changes)
    if isinstance(arguments["company"], str):
        arguments["company"] = companies[arguments["company"]]
    before = written()
    with pytest.raises(ValidationError) as caught:
        change_management_mode(**arguments)
    assert caught.value.message_dict == errors
    assert written() == before
    compound = Compound.objects.get(pk=cast.a.compound.pk)
    assert (compound.management_mode, compound.company_id) == ("public", cast.a.company.pk)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("scan.pdf", PDF, None),
        ("SCAN.PDF", PDF, None),
        ("scan.jpeg", JPEG, None),
        ("scan.png", b"\x89PNG\r\n\x1a\n....", None),
        ("scan.pdf", b"GIF89a", "The file's content is not a PDF, JPEG or PNG."),
        ("scan.gif", b"GIF89a", "Upload a PDF, JPEG or PNG file."),
        ("scan", PDF, "Upload a PDF, JPEG or PNG file."),
        ("scan.jpg", PDF, "The file's content does not match its name (scan.jpg)."),
        ("scan.pdf", PDF + b"x" * (10 * 1024 * 1024), "The file is larger than 10 MB."),
    ],
)
def test_agreement_file_error_checks_content_and_size(name, content, problem) -> None:
    assert agreement_file_error(SimpleUploadedFile(name, content)) == problem


# --- Which company may take a compound ------------------------------------------------------


def test_change_management_mode_refuses_another_streets_public_company(cast: Cast) -> None:
    before = written()
    with pytest.raises(ValidationError) as caught:
        change_management_mode(
            compound=cast.a.other_compound,
            mode=ManagementMode.PUBLIC,
            company=cast.b.company,
            effective_on=datetime.date(2024, 5, 1),
            reason="takeover",
            actor=cast.users[Role.DISTRICT],
            takeover={"entrustment_signed_on": datetime.date(2024, 4, 20)},
        )
    assert caught.value.message_dict == {
        "company": ["A public takeover needs the public company of the compound's own street."]
    }
    assert written() == before


def test_change_management_mode_company_of_another_district_only_if_serving_here(
    cast: Cast,
) -> None:
    elsewhere = CompanyFactory(
        kind=CompanyKind.PROFESSIONAL, district=cast.c.street.district, name="外区物业"
    )
    arguments = {
        "compound": cast.a.other_compound,
        "mode": ManagementMode.PROFESSIONAL,
        "company": elsewhere,
        "effective_on": datetime.date(2024, 5, 1),
        "reason": "the owners chose it",
        "actor": cast.users[Role.STREET],
    }
    before = written()
    with pytest.raises(ValidationError) as caught:
        change_management_mode(**arguments)
    assert caught.value.message_dict == {
        "company": [
            "The company is registered in another district and serves no compound in this one."
        ]
    }
    assert written() == before
    # Once it serves a compound of the district, it may take another.
    Compound.objects.filter(pk=cast.b.other_compound.pk).update(
        company=elsewhere, management_mode=ManagementMode.PROFESSIONAL
    )
    period = change_management_mode(**arguments)
    assert (period.mode, period.company_id) == (ManagementMode.PROFESSIONAL, elsewhere.pk)


# --- Scans are not left behind by a failed change ---------------------------------------------


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def takeover_arguments(cast: Cast, **takeover) -> dict:
    return {
        "compound": cast.a.other_compound,
        "mode": ManagementMode.PUBLIC,
        "company": cast.a.company,
        "effective_on": datetime.date(2024, 5, 1),
        "reason": "takeover",
        "actor": cast.users[Role.STREET],
        "takeover": {
            "entrustment_signed_on": datetime.date(2024, 4, 20),
            "entrustment_file": SimpleUploadedFile("委托.pdf", PDF),
            "service_agreement_file": SimpleUploadedFile("scan.jpg", JPEG),
            **takeover,
        },
    }


def test_change_management_mode_keeps_scans_when_it_succeeds(cast: Cast) -> None:
    change_management_mode(**takeover_arguments(cast))
    takeover = Takeover.objects.get(compound=cast.a.other_compound)
    assert stored_files() == sorted(
        [takeover.entrustment_file.name, takeover.service_agreement_file.name]
    )


def test_change_management_mode_deletes_scans_when_the_takeover_row_fails(cast: Cast) -> None:
    before = written()
    with pytest.raises(ValidationError):
        change_management_mode(**takeover_arguments(cast, service_agreement_signed_on="not a date"))
    assert stored_files() == []
    assert written() == before


def test_change_management_mode_deletes_scans_when_a_later_write_fails(
    cast: Cast, monkeypatch
) -> None:
    """A failure after the takeover row (here: the audit write, made to fail) rolls back the
    rows and deletes the scans saved before them."""

    def failing_record(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(audit, "record", failing_record)
    before = written()
    with pytest.raises(RuntimeError):
        change_management_mode(**takeover_arguments(cast))
    assert stored_files() == []
    assert written() == before


def test_files_removed_on_failure_deletes_only_on_error(db) -> None:
    takeover = Takeover()
    with files_removed_on_failure() as saved:
        takeover.entrustment_file.save("kept.pdf", SimpleUploadedFile("kept.pdf", PDF), save=False)
        saved.append(takeover.entrustment_file)
    kept = takeover.entrustment_file.name
    with pytest.raises(ZeroDivisionError), files_removed_on_failure() as saved:
        takeover.service_agreement_file.save(
            "gone.pdf", SimpleUploadedFile("gone.pdf", PDF), save=False
        )
        saved.append(takeover.service_agreement_file)
        1 / 0  # noqa: B018 - the failure under test
    assert stored_files() == [kept]
