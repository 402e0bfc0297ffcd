"""Pages of the property companies: the list and its export, a company, registering and
editing one, and adding a post in it."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.orgs import queries, services
from laoyuan.orgs.exports import company_workbook
from laoyuan.orgs.forms import CompanyFilterForm, CompanyForm, PostForm
from laoyuan.orgs.models import PropertyCompany
from laoyuan.orgs.views._common import (
    PAGE_SIZE,
    _form_page,
    _manage_or_404,
    _manager,
    _may,
    _read_or_404,
    _reader,
    _save,
    _xlsx,
)
from laoyuan.orgs.views.posts import _post_form_page, _post_kwargs


def _creates_companies(authority: queries.Authority) -> bool:
    return authority.is_district or bool(authority.streets)


@login_required
@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CompanyFilters.from_params(request.GET)
    page = Paginator(queries.company_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orgs/company_list.html",
        {
            "form": CompanyFilterForm(request.GET or None, user=user),
            "page_obj": page,
            "filtered": bool(filters.search or filters.kind or filters.street),
            "can_create": _creates_companies(queries.authority_for(user)),
        },
    )


@login_required
@require_GET
def company_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CompanyFilters.from_params(request.GET)
    rows = queries.company_list(user=user, filters=filters).iterator(chunk_size=2000)
    return _xlsx(company_workbook(rows), "companies")


@login_required
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _reader(user)
    company = _read_or_404(PropertyCompany.objects.select_related("district", "street"), user, pk)
    posts = list(queries.company_posts(user=user, company=company))
    today = timezone.localdate()
    return render(
        request,
        "orgs/company_detail.html",
        {
            "company": company,
            "compounds_page": Paginator(
                queries.company_compounds(user=user, company=company), PAGE_SIZE
            ).get_page(request.GET.get("compounds_page")),
            "posts": posts,
            "today": today,
            # Badges from the posts shown, counted among the posts the user sees.
            "cross": queries.cross_appointed(user=user, person_ids={p.person_id for p in posts}),
            "can_manage": _may(queries.manageable_companies(user), company.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _manager(user, _creates_companies)
    form = CompanyForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        company = _save(
            request,
            form,
            lambda: services.company_create(
                actor=user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                street=data.get("street"),
                phone=data.get("phone") or "",
                district=data.get("district"),
            ),
            _("The company was registered."),
        )
        if company:
            return redirect("orgs:company_detail", pk=company.pk)
    return _form_page(
        request,
        form=form,
        title=_("Register a property company"),
        back=(_("Property companies"), reverse("orgs:company_list")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = _manage_or_404(queries.manageable_companies(user), pk)
    form = CompanyForm(request.POST or None, user=user, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.company_update(
                actor=user,
                company=company,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                street=data.get("street"),
                phone=data.get("phone") or "",
            ),
            _("The company was saved."),
        ):
            return redirect("orgs:company_detail", pk=company.pk)
    return _form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": company.name},
        back=(company.name, reverse("orgs:company_detail", args=[company.pk])),
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_post_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = _manage_or_404(queries.manageable_companies(user), pk)
    form = PostForm(request.POST or None, user=user, street_id=company.street_id, company=company)
    return _post_form_page(
        request,
        form=form,
        body=company,
        back_url=reverse("orgs:company_detail", args=[company.pk]),
        add=lambda data: services.post_add(
            actor=user, company=company, street=data.get("street"), **_post_kwargs(form, data)
        ),
    )
