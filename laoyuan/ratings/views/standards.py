"""The district office's standard editor: the versions of its star standard, and one version's
bands, sections and items. A draft is edited here and published; a published version is read
only, and a change starts a new version copied from it.

District office only (others: 404). A refused change re-renders the page with the reason on the
field of the form it came from, status 400, and writes nothing.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from laoyuan.ratings.enums import ItemKind, SectionKind, StandardStatus
from laoyuan.ratings.models import Item, Section, Standard
from laoyuan.ratings.scoping import is_district_office
from laoyuan.ratings.services import standards as service
from laoyuan.ratings.views.common import district_or_404, submitted

TEXT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def _text(label: Any, **extra: Any) -> forms.CharField:
    """A text field left to the service to check, so a refusal names every wrong field at once."""
    return forms.CharField(label=label, required=False, widget=forms.TextInput(TEXT), **extra)


class BandsForm(forms.Form):
    five_stars = _text(gettext_lazy("5 stars from"))
    four_stars = _text(gettext_lazy("4 stars from"))
    three_stars = _text(gettext_lazy("3 stars from"))
    two_stars = _text(gettext_lazy("2 stars from"))
    one_star = _text(gettext_lazy("1 star from"))
    objection_days = _text(gettext_lazy("Objection period (days)"))


class SectionForm(forms.Form):
    code = _text(gettext_lazy("Code"))
    name = _text(pgettext_lazy("of a thing", "Name"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Scored by"), choices=SectionKind.choices, widget=forms.Select(SELECT)
    )
    weight = _text(gettext_lazy("Weight (%)"))


class ItemForm(forms.Form):
    code = _text(gettext_lazy("Code"))
    text = _text(gettext_lazy("Item"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ItemKind.choices, widget=forms.Select(SELECT)
    )
    points = _text(gettext_lazy("Points"), help_text=gettext_lazy("None for a veto item."))
    evidence_required = forms.BooleanField(
        label=gettext_lazy("Evidence photo required"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )


def _standard_or_404(user: Any, pk: int) -> Standard:
    standard = Standard.objects.filter(pk=pk).first()
    if standard is None or not is_district_office(user, standard.district_id):
        raise Http404
    return standard


def _section_or_404(standard: Standard, pk: int) -> Section:
    section = standard.sections.filter(pk=pk).first()
    if section is None:
        raise Http404
    return section


def _item_or_404(standard: Standard, pk: int) -> Item:
    item = Item.objects.filter(pk=pk, section__standard=standard).select_related("section").first()
    if item is None:
        raise Http404
    return item


@login_required
@require_GET
def standard_list(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    versions = Standard.objects.filter(district=district).order_by("-version")
    return render(
        request,
        "ratings/standards.html",
        {
            "district": district,
            "versions": versions,
            "draft": versions.filter(status=StandardStatus.DRAFT).first(),
        },
    )


@login_required
@require_POST
def start_version(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    try:
        draft = service.new_version(actor=request.user, district=district)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("ratings:standards")
    messages.success(request, _("A new draft is open: change it, then publish it."))
    return redirect("ratings:standard", pk=draft.pk)


def _page(
    request: HttpRequest,
    standard: Standard,
    *,
    bound: dict[str, forms.Form] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """One version's page. ``bound`` holds a refused form by its prefix, shown with its errors in
    place of the blank one."""
    bound = bound or {}
    editable = standard.status == StandardStatus.DRAFT
    sections = []
    found = list(standard.sections.prefetch_related("items"))
    for section in found:
        rows = [
            {
                "item": item,
                "form": bound.get(f"i{item.pk}")
                or ItemForm(
                    prefix=f"i{item.pk}",
                    initial={
                        "code": item.code,
                        "text": item.text,
                        "kind": item.kind,
                        "points": "" if item.kind == ItemKind.VETO else item.points,
                        "evidence_required": item.evidence_required,
                    },
                ),
            }
            for item in section.items.all()
        ]
        sections.append(
            {
                "section": section,
                "form": bound.get(f"s{section.pk}")
                or SectionForm(
                    prefix=f"s{section.pk}",
                    initial={
                        "code": section.code,
                        "name": section.name,
                        "kind": section.kind,
                        "weight": section.weight,
                    },
                ),
                "items": rows,
                "new_item": bound.get(f"n{section.pk}")
                or ItemForm(prefix=f"n{section.pk}", initial={"kind": ItemKind.SCORED}),
            }
        )
    bands = {field: getattr(standard, field) for field in service.BAND_FIELDS}
    return render(
        request,
        "ratings/standard.html",
        {
            "standard": standard,
            "editable": editable,
            "sections": sections,
            "weights": sum((section.weight for section in found), Decimal(0)),
            "bands_form": bound.get("bands")
            or BandsForm(
                prefix="bands", initial={**bands, "objection_days": standard.objection_days}
            ),
            "new_section": bound.get("new")
            or SectionForm(prefix="new", initial={"kind": SectionKind.ITEMS}),
            "problems": service.problems(standard) if editable else [],
            "errors": errors or [],
            "in_evaluations": standard.evaluations.count(),
        },
        status=status,
    )


@login_required
@require_GET
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _standard_or_404(request.user, pk))


def _save(
    request: HttpRequest,
    standard: Standard,
    form: forms.Form,
    action: Any,
    done: str,
) -> HttpResponse:
    """``submitted``, then the standard's page: again with the form's errors (400) if refused."""
    if submitted(request, form, action, done):
        return redirect("ratings:standard", pk=standard.pk)
    standard.refresh_from_db()
    if standard.status != StandardStatus.DRAFT:
        # Published meanwhile (from another tab, say): the page has no form to hold the refusal.
        refusals = [str(message) for field in form.errors.values() for message in field]
        return _page(request, standard, errors=refusals, status=400)
    return _page(request, standard, bound={form.prefix or "": form}, status=400)


@login_required
@require_POST
def save_bands(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    form = BandsForm(request.POST, prefix="bands")
    return _save(
        request,
        standard,
        form,
        lambda data: service.update_bands(
            actor=request.user,
            standard=standard,
            bands={field: data[field] for field in service.BAND_FIELDS},
            objection_days=data["objection_days"],
        ),
        _("The bands are saved."),
    )


def _save_section(request: HttpRequest, standard: Standard, section: Section | None) -> Any:
    form = SectionForm(request.POST, prefix=f"s{section.pk}" if section else "new")
    return _save(
        request,
        standard,
        form,
        lambda data: service.save_section(
            actor=request.user, standard=standard, section=section, **data
        ),
        _("The section is saved."),
    )


@login_required
@require_POST
def add_section(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_section(request, _standard_or_404(request.user, pk), None)


@login_required
@require_POST
def change_section(request: HttpRequest, pk: int, section: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    return _save_section(request, standard, _section_or_404(standard, section))


def _save_item(
    request: HttpRequest, standard: Standard, section: Section, item: Item | None
) -> Any:
    form = ItemForm(request.POST, prefix=f"i{item.pk}" if item else f"n{section.pk}")
    return _save(
        request,
        standard,
        form,
        lambda data: service.save_item(actor=request.user, section=section, item=item, **data),
        _("The item is saved."),
    )


@login_required
@require_POST
def add_item(request: HttpRequest, pk: int, section: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    return _save_item(request, standard, _section_or_404(standard, section), None)


@login_required
@require_POST
def change_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    found = _item_or_404(standard, item)
    return _save_item(request, standard, found.section, found)


def _step(request: HttpRequest, standard: Standard, action: Any, done: str) -> HttpResponse:
    """A change without a form (delete, publish): done, or the page with the reasons (400)."""
    try:
        action()
    except ValidationError as error:
        standard.refresh_from_db()
        return _page(request, standard, errors=error.messages, status=400)
    messages.success(request, done)
    return redirect("ratings:standard", pk=standard.pk)


@login_required
@require_POST
def delete_section(request: HttpRequest, pk: int, section: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    found = _section_or_404(standard, section)
    return _step(
        request,
        standard,
        lambda: service.delete_section(actor=request.user, section=found),
        _("The section and its items are removed."),
    )


@login_required
@require_POST
def delete_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    found = _item_or_404(standard, item)
    return _step(
        request,
        standard,
        lambda: service.delete_item(actor=request.user, item=found),
        _("The item is removed."),
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard_or_404(request.user, pk)
    return _step(
        request,
        standard,
        lambda: service.publish(actor=request.user, standard=standard),
        _("Published: evaluations declared from now on use this version."),
    )


urlpatterns = [
    path("standards/", standard_list, name="standards"),
    path("standards/new/", start_version, name="standard_new"),
    path("standards/<int:pk>/", standard_detail, name="standard"),
    path("standards/<int:pk>/bands/", save_bands, name="standard_bands"),
    path("standards/<int:pk>/sections/", add_section, name="standard_section_add"),
    path(
        "standards/<int:pk>/sections/<int:section>/",
        change_section,
        name="standard_section",
    ),
    path(
        "standards/<int:pk>/sections/<int:section>/delete/",
        delete_section,
        name="standard_section_delete",
    ),
    path("standards/<int:pk>/sections/<int:section>/items/", add_item, name="standard_item_add"),
    path("standards/<int:pk>/items/<int:item>/", change_item, name="standard_item"),
    path("standards/<int:pk>/items/<int:item>/delete/", delete_item, name="standard_item_delete"),
    path("standards/<int:pk>/publish/", publish, name="standard_publish"),
]
