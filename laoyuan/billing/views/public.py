"""The public notices (公示) of a compound: no login, no personal data, cacheable.

Anyone may read a compound's fee scheme and the house numbers with overdue fees: they hang on the
notice board anyway, and the QR code on the printed notice opens this page. Nothing here names a
person or shows a phone other than the company's service phone; an unknown code answers 404.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.billing import queries
from laoyuan.billing.qr import qr_svg
from laoyuan.core.public import public_page
from laoyuan.places.models import Compound


def _compound(code: str) -> Compound:
    return get_object_or_404(Compound.objects.select_related("company", "street"), code=code)


@public_page
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


@public_page
def public_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The notice's QR code: an SVG of the notice page's absolute address."""
    compound = _compound(code)
    url = request.build_absolute_uri(reverse("billing:public_notice", args=[compound.code]))
    title = _("QR code of the fee notice of %(name)s") % {"name": compound.name}
    return HttpResponse(qr_svg(url, title=title), content_type="image/svg+xml")


@public_page
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
