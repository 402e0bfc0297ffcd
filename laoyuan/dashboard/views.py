from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from laoyuan.dashboard.queries import overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: their scope's figures and the places they can open."""
    return render(request, "dashboard/home.html", {"figures": overview(user=request.user)})
