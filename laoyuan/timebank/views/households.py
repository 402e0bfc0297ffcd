"""A household's hours for the community (社区代办): its account, its volunteers with the
activities they may still claim, and redeeming or giving hours on the household's behalf (an
elderly resident at the service centre, or on the phone). The services log each action as on the
household's behalf. Only the community office of the house's place acts here; everyone else, and
any house outside the user's scope, gets 404."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.places.models import House
from laoyuan.timebank import queries
from laoyuan.timebank.forms import DonateForm, RedeemForm
from laoyuan.timebank.models import Donation, Rate, Redemption, Volunteer, minutes_label
from laoyuan.timebank.services import exchange
from laoyuan.timebank.views.resident import (
    LIST_LIMIT,
    _donate_step,
    _redeem_step,
    donated_message,
    neighbours,
    redeemed_message,
)
from laoyuan.timebank.views.resident import (
    household as household_figures,
)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def household(request: HttpRequest, house_id: int) -> HttpResponse:
    user = request.user
    house = get_scoped_or_404(
        House.objects.select_related("building", "compound"), user, pk=house_id
    )
    if exchange.acting_as(user, house) != Role.COMMUNITY:
        raise Http404
    houses = House.objects.filter(pk=house.pk).select_related("building", "compound")
    url = reverse("timebank:household", kwargs={"house_id": house.pk})
    forms: dict[str, Any] = {}
    status = 200
    result: Any = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "redeem":
            form: Any = RedeemForm(request.POST, houses=houses, auto_id=f"redeem-h{house.pk}-%s")
            step, result = _redeem_step(request, form)
        elif action == "donate":
            form = DonateForm(
                request.POST,
                houses=houses,
                neighbours=neighbours(house),
                auto_id=f"donate-h{house.pk}-%s",
            )
            step, result = _donate_step(request, form)
        else:
            raise Http404
        if step == "confirm":
            assert isinstance(result, dict)
            result.update(action=url, back=url, on_behalf=True)
            return render(request, "timebank/household.html", {"confirm": result, "house": house})
        if step == "done":
            if isinstance(result, Redemption):
                messages.success(request, redeemed_message(result, receipt_link=False))
            elif isinstance(result, Donation):
                messages.success(request, donated_message(result))
            return redirect(url)
        forms = {f"{action}_form": form}
        status = 400
    rates: dict[int, Rate | None] = {}
    figures = household_figures(house, houses, today=timezone.localdate(), rates=rates, **forms)
    volunteers = list(
        Volunteer.objects.filter(house=house, active=True).select_related("person").order_by("id")
    )
    for volunteer in volunteers:
        # A household has one or two volunteers: one query each for what they may still claim.
        activities = list(queries.claimable(volunteer)[:20])
        for activity in activities:
            activity.label = minutes_label(activity.minutes)  # type: ignore[attr-defined]
        volunteer.claimable = activities  # type: ignore[attr-defined]
    return render(
        request,
        "timebank/household.html",
        {
            "house": house,
            "h": figures,
            "volunteers": volunteers,
            "action_url": url,
            "list_limit": LIST_LIMIT,
        },
        status=status,
    )
