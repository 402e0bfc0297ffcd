"""Posts: the form that appoints someone to a post in any body, and ending a post."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from laoyuan.orgs import queries, services
from laoyuan.orgs.forms import EndForm, PostForm
from laoyuan.orgs.models import Post
from laoyuan.orgs.views._common import _form_page, _manage_or_404, _save


def _post_form_page(
    request: HttpRequest,
    *,
    form: PostForm,
    body: Any,
    back_url: str,
    add: Callable[[dict[str, Any]], Post],
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: add(data),
            _("%(name)s now holds the post.") % {"name": data.get("person") or data.get("name")},
        ):
            return redirect(back_url)
    return _form_page(
        request,
        form=form,
        title=_("Add a post in %(body)s") % {"body": body},
        back=(str(body), back_url),
        intro=_(
            "Choose someone on record for a cross-appointment (交叉任职), or give a new person's "
            "name and mobile phone."
        ),
    )


def _post_kwargs(form: PostForm, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "person": form.appointee(),
        "title": data["title"],
        "term_start": data["term_start"],
        "term_end": data.get("term_end"),
    }


def _post_back_url(post: Post) -> str:
    if post.committee_id is not None:
        return reverse("orgs:committee_detail", args=[post.committee_id])
    if post.company_id is not None:
        return reverse("orgs:company_detail", args=[post.company_id])
    return f"{reverse('orgs:party')}?street={post.street_id}"


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    post = _manage_or_404(
        queries.manageable_posts(user).select_related(
            "person", "committee", "party_org", "company"
        ),
        pk,
    )
    back_url = _post_back_url(post)
    form = EndForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            request,
            form,
            lambda: services.post_end(
                actor=user, post=post, ended_on=form.cleaned_data["ended_on"]
            ),
            _("The post was ended."),
        )
    ):
        return redirect(back_url)
    body = post.committee or post.party_org or post.company
    return _form_page(
        request,
        form=form,
        title=_("End a post"),
        back=(str(body), back_url),
        submit=_("End the post"),
        facts=[
            (_("Person"), post.person.name),
            (_("Post"), f"{post.title}, {body}"),
            (_("From"), post.term_start.isoformat()),
        ],
    )
