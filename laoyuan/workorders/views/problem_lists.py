"""Problem lists (问题清单): the lists in the reader's scope with their orders' progress, and the
page where a branch, community, street or committee officer enters a meeting's list, in rows
on the page or as an Excel sheet (template provided), which becomes orders in one step through
``services.problem_lists.create_from_problem_list`` (all or nothing, errors by row and column).
"""

import io
import zipfile
from typing import IO, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.imports.columns import Column, SheetSpec, normalise_header
from laoyuan.imports.services import check_upload
from laoyuan.imports.xlsx import (
    HEADER_SEARCH_ROWS,
    XLSX_CONTENT_TYPE,
    WorkbookError,
    cell_text,
    header_key,
    sheet_layout,
)
from laoyuan.places.models import Compound
from laoyuan.workorders.enums import OPEN311_CLOSED, Status
from laoyuan.workorders.models import Category, ProblemList, WorkOrder
from laoyuan.workorders.queries import overdue_q
from laoyuan.workorders.scoping import ORDER_ROLES
from laoyuan.workorders.services.problem_lists import (
    MAX_ITEMS,
    PROBLEM_LIST_ROLES,
    ProblemListInvalid,
    create_from_problem_list,
)
from laoyuan.workorders.services.transitions import Forbidden

PAGE_SIZE = 20
ROW_CHOICES = (10, 25, 50)
READER_ROLES = ORDER_ROLES - {Role.RESIDENT}

# The sheet's columns (Chinese headers in the template; the English ones are accepted too).
SHEET = SheetSpec(
    key="problems",
    title="问题清单",
    english="Problems",
    aliases=("problem list",),
    columns=(
        Column(
            "category",
            "类别编码",
            "category",
            True,
            gettext_lazy("A service code from the 类别 sheet, e.g. repair."),
            "repair",
            ("类别", "service code", "service_code"),
        ),
        Column(
            "description",
            "问题描述",
            "description",
            True,
            gettext_lazy("The problem as the meeting put it."),
            "3号楼楼道灯不亮",
            ("问题", "内容", "problem"),
        ),
        Column(
            "place",
            "位置",
            "place",
            False,
            gettext_lazy("Where in the compound (optional)."),
            "3号楼2单元",
            ("地点", "where"),
        ),
        Column(
            "house",
            "房号",
            "house",
            False,
            gettext_lazy("The household that raised it, building-unit-room (optional)."),
            "",
            ("房屋", "户号", "room"),
        ),
    ),
)
SHEET_INDEX = {normalise_header(name): column for column in SHEET.columns for name in column.names}


def read_items(upload: IO[bytes]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The items of an uploaded problem sheet (each with its Excel row number) and the column
    headers as written. Raises WorkbookError when the file or its header cannot be used."""
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    check_upload(file_name=getattr(upload, "name", "") or "", size=size)
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookError([_("This file is not an Excel workbook (.xlsx).")]) from exc
    except Exception as exc:  # openpyxl raises assorted parser errors on damaged files
        raise WorkbookError([_("This Excel workbook is damaged and cannot be read.")]) from exc
    try:
        best: tuple[int, str, int, tuple[Any, ...]] | None = None
        for name in book.sheetnames:
            for number, cells in enumerate(
                book[name].iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
            ):
                found = {SHEET_INDEX[k].key for k in map(header_key, cells) if k in SHEET_INDEX}
                if len(found) >= 2 and (best is None or len(found) > best[0]):
                    best = (len(found), name, number, cells)
        if best is None:
            raise WorkbookError(
                [
                    _("No sheet has a header row with the columns %(columns)s.")
                    % {"columns": "、".join(f"{c.header} ({c.english})" for c in SHEET.columns)}
                ]
            )
        _count, name, header_row, cells = best
        layout = sheet_layout(SHEET, name, header_row, cells, SHEET_INDEX)
        items: list[dict[str, Any]] = []
        for number, row in enumerate(
            book[name].iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
                continue
            if len(items) >= MAX_ITEMS:
                raise WorkbookError([_("At most %(max)s problems per list.") % {"max": MAX_ITEMS}])
            item: dict[str, Any] = {"row": number}
            for key, (position, _header) in layout.columns.items():
                item[key] = cell_text(row[position]).strip() if position < len(row) else ""
            items.append(item)
    except WorkbookError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise WorkbookError([_("This Excel workbook is damaged and cannot be read.")]) from exc
    finally:
        book.close()
    if not items:
        raise WorkbookError([_("The sheet has no problems under its header row.")])
    return items, {key: header for key, (_p, header) in layout.columns.items()}


def template_workbook() -> bytes:
    """The problem-list template: the sheet with its headers and an example row, the category
    codes, and notes on each column."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET.title
    sheet.append([column.header for column in SHEET.columns])
    sheet.append([column.example for column in SHEET.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (16, 50, 24, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["D"].number_format = "@"
    sheet.freeze_panes = "A2"
    codes = book.create_sheet("类别 Categories")
    codes.append([_("Service code"), "名称", "Name"])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    for category in Category.objects.filter(active=True):
        codes.append([category.code, category.name, category.name_en])
    for letter, width in zip("ABC", (20, 24, 36), strict=True):
        codes.column_dimensions[letter].width = width
    notes = book.create_sheet("说明 Notes")
    notes.append([_("Column"), _("English header"), _("Required"), _("What to write")])
    for column in SHEET.columns:
        notes.append(
            [
                column.header,
                column.english,
                _("yes") if column.required else _("no"),
                str(column.help),
            ]
        )
    notes.append([])
    notes.append(
        [
            _(
                "Every row is checked first; if any row is wrong nothing is created and the page "
                "names each bad row and column. Delete the example row before uploading."
            )
        ]
    )
    notes.column_dimensions["D"].width = 70
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Forms -----------------------------------------------------------------------------------------


class MeetingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Meeting"), max_length=200)
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sheet = forms.FileField(
        label=gettext_lazy("Or upload an Excel sheet (.xlsx)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs.update(
            {"class": "form-control", "placeholder": _("e.g. November owners' consultation")}
        )
        self.fields["held_on"].widget.attrs["class"] = "form-control"
        self.fields["sheet"].widget.attrs["class"] = "form-control"


def _category_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(c.code, c.shown_name) for c in Category.objects.filter(active=True)]


class ItemForm(forms.Form):
    """One row; the service checks it (so the page and the sheet give the same errors)."""

    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Problem"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    place = forms.CharField(
        label=pgettext_lazy("work order", "Where"), required=False, max_length=200
    )
    house = forms.CharField(label=gettext_lazy("House (optional)"), required=False, max_length=40)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.widget.attrs["class"] = "form-select form-select-sm"
        for name in ("description", "place", "house"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"


ItemFormSet = forms.formset_factory(ItemForm, extra=0, max_num=MAX_ITEMS, absolute_max=MAX_ITEMS)


def _mark_invalid(form: forms.Form) -> None:
    """Bootstrap's invalid look on the fields with errors (Django ties the error text)."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _compounds(user: Any) -> Any:
    return scoped(Compound.objects.all(), user, PROBLEM_LIST_ROLES).order_by("name")


def _rows(request: HttpRequest) -> int:
    try:
        rows = int(request.GET.get("rows", ROW_CHOICES[0]))
    except ValueError:
        rows = ROW_CHOICES[0]
    return rows if rows in ROW_CHOICES else ROW_CHOICES[0]


# Pages -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def problem_list_new(request: HttpRequest) -> HttpResponse:
    if not scope_for(request.user, PROBLEM_LIST_ROLES).has_role(*PROBLEM_LIST_ROLES):
        raise Http404
    compounds = _compounds(request.user)
    compound: Compound | None = None
    wanted = (
        request.POST.get("compound") if request.method == "POST" else request.GET.get("compound")
    )
    if wanted:
        wanted_id = parse_id(wanted)
        if wanted_id is None:
            raise Http404
        compound = compounds.filter(pk=wanted_id).first()
        if compound is None:
            raise Http404
    choices = _category_choices()
    rows = _rows(request)
    item_errors: list[str] = []
    compound_error = ""
    if request.method == "POST":
        form = MeetingForm(request.POST, request.FILES)
        formset = ItemFormSet(request.POST, prefix="item", form_kwargs={"choices": choices})
        valid = form.is_valid() & formset.is_valid()
        if compound is None:
            compound_error = _("Choose the compound.")
        if valid and compound is not None:
            upload = form.cleaned_data["sheet"]
            typed = [
                {"row": index, **item.cleaned_data}
                for index, item in enumerate(formset.forms, start=1)
                if item.cleaned_data and any(item.cleaned_data.values())
            ]
            items: list[dict[str, Any]] = typed
            columns: dict[str, str] | None = {
                key: str(field.label) for key, field in ItemForm.base_fields.items()
            }
            try:
                if upload is not None and typed:
                    raise WorkbookError([_("Either fill in the rows or upload a sheet, not both.")])
                if upload is not None:
                    items, columns = read_items(upload)
                problem_list = create_from_problem_list(
                    actor=request.user,
                    compound=compound,
                    title=form.cleaned_data["title"],
                    held_on=form.cleaned_data["held_on"],
                    items=items,
                    columns=columns,
                )
            except WorkbookError as exc:
                form.add_error("sheet", exc.messages)
            except Forbidden:
                raise Http404 from None
            except ProblemListInvalid as exc:
                for name in ("title", "held_on"):
                    if name in exc.message_dict:
                        form.add_error(name, exc.message_dict[name])
                if "items" in exc.message_dict and not exc.items:
                    item_errors = exc.message_dict["items"]
                item_errors += [str(error) for error in exc.items]
                if upload is None:
                    for error in exc.items:
                        if 1 <= error.row <= len(formset.forms):
                            formset.forms[error.row - 1].add_error(error.field, error.message)
            else:
                count = problem_list.orders.count()
                messages.success(
                    request,
                    _("Problem list “%(title)s” saved: %(count)s orders created.")
                    % {"title": problem_list.title, "count": count},
                )
                return redirect("workorders:problem_list", pk=problem_list.pk)
    else:
        form = MeetingForm(initial={"held_on": timezone.localdate()})
        formset = ItemFormSet(
            prefix="item",
            form_kwargs={"choices": choices},
            initial=[{} for _ in range(rows)],
        )
    for each in [form, *formset.forms]:
        _mark_invalid(each)
    return render(
        request,
        "workorders/problem_list_new.html",
        {
            "form": form,
            "formset": formset,
            "compounds": compounds,
            "compound": compound,
            "compound_error": compound_error,
            "item_errors": item_errors,
            "rows": rows,
            "row_choices": ROW_CHOICES,
            "max_items": MAX_ITEMS,
        },
    )


@login_required
@require_GET
def problem_list_template(request: HttpRequest) -> HttpResponse:
    if not scope_for(request.user, PROBLEM_LIST_ROLES).has_role(*PROBLEM_LIST_ROLES):
        raise Http404
    response = HttpResponse(template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="problem-list-template.xlsx"'
    return response


# The progress columns of the lists page: open, overdue, verified or closed.
DONE_STATUSES = tuple(OPEN311_CLOSED)


@login_required
@require_GET
def problem_lists(request: HttpRequest) -> HttpResponse:
    """The lists in the reader's scope, newest meeting first, with their orders' progress
    (three queries whatever the number of lists and orders)."""
    if not scope_for(request.user, READER_ROLES).has_role(*READER_ROLES):
        raise Http404
    now = timezone.now()
    lists = (
        scoped(ProblemList.objects.all(), request.user)
        .select_related("compound")
        .annotate(
            total=Count("orders"),
            finished=Count("orders", filter=Q(orders__status__in=DONE_STATUSES)),
            late=Count("orders", filter=overdue_q(now, prefix="orders__")),
        )
        .order_by("-held_on", "-id")
    )
    page = Paginator(lists, PAGE_SIZE).get_page(request.GET.get("page"))
    by_list: dict[int, list[dict[str, Any]]] = {}
    for row in (
        WorkOrder.objects.filter(problem_list__in=[p.pk for p in page.object_list])
        .values("problem_list_id", "status")
        .annotate(n=Count("id"))
        .order_by("problem_list_id", "status")
    ):
        by_list.setdefault(row["problem_list_id"], []).append(
            {"status": row["status"], "label": Status(row["status"]).label, "count": row["n"]}
        )
    rows = [(item, by_list.get(item.pk, [])) for item in page.object_list]
    return render(
        request,
        "workorders/problem_lists.html",
        {
            "page_obj": page,
            "rows": rows,
            "may_create": scope_for(request.user, PROBLEM_LIST_ROLES).has_role(*PROBLEM_LIST_ROLES),
        },
    )


@login_required
@require_GET
def problem_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem_list = get_scoped_or_404(
        ProblemList.objects.select_related("compound", "created_by"), request.user, pk=pk
    )
    now = timezone.now()
    orders = (
        scoped(WorkOrder.objects.filter(problem_list=problem_list), request.user)
        .select_related("category", "company", "team")
        .order_by("id")
    )
    rows = [(order, order.is_overdue(now)) for order in orders]
    return render(
        request,
        "workorders/problem_list_detail.html",
        {"problem_list": problem_list, "rows": rows},
    )


urlpatterns = [
    path("problem-lists/", problem_lists, name="problem_lists"),
    path("problem-lists/new/", problem_list_new, name="problem_list_new"),
    path("problem-lists/template.xlsx", problem_list_template, name="problem_list_template"),
    path("problem-lists/<int:pk>/", problem_list_detail, name="problem_list"),
]
