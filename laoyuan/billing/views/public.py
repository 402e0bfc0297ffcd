"""The public notices (公示) of a compound: no login, no personal data, cacheable.

Anyone may read a compound's fee scheme and the house numbers with overdue fees: they hang on the
notice board anyway, and the QR code on the printed notice opens this page. Nothing here names a
person or shows a phone other than the company's service phone; an unknown code answers 404.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from laoyuan.billing import queries
from laoyuan.billing.qr import qr_svg
from laoyuan.places.models import Compound

# Notices change when a scheme is posted or a month is billed: a few minutes' cache is harmless.
PUBLIC_MAX_AGE = 300


def _compound(code: str) -> Compound:
    return get_object_or_404(Compound.objects.select_related("company", "street"), code=code)


def _public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only, varying on the language and large-type cookies; cacheable by anyone when read
    anonymously. A signed-in reader's copy carries their name in the header: private."""

    @require_GET
    @vary_on_cookie
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, max_age=0)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapper


@_public
def public_notice(request: HttpRequest, code: str) -> HttpResponse:
    """The fee notice: the schemes in force and upcoming, their package and costs, the trial
    period, the vacant and unsold policy, and a QR code to this page."""
    compound = _compound(code)
    notice = queries.public_notice(compound)
    return render(
        request,
        "billing/public/notice.html",
        {
            "compound": compound,
            "notice": notice,
            "page_url": request.build_absolute_uri(),
            "today": timezone.localdate(),
        },
    )


@_public
def public_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The notice's QR code: an SVG of the notice page's absolute address."""
    compound = _compound(code)
    url = request.build_absolute_uri(reverse("billing:public_notice", args=[compound.code]))
    title = _("QR code of the fee notice of %(name)s") % {"name": compound.name}
    return HttpResponse(qr_svg(url, title=title), content_type="image/svg+xml")


@_public
def public_arrears(request: HttpRequest, code: str) -> HttpResponse:
    """The house numbers with overdue fees and how many months: never a name or an amount."""
    compound = _compound(code)
    today = timezone.localdate()
    return render(
        request,
        "billing/public/arrears.html",
        {
            "compound": compound,
            "rows": queries.public_arrears(compound, today),
            "today": today,
        },
    )


urlpatterns = [
    path("public/<str:code>/", public_notice, name="public_notice"),
    path("public/<str:code>/qr.svg", public_qr, name="public_qr"),
    path("public/<str:code>/arrears/", public_arrears, name="public_arrears"),
]
