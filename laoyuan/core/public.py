"""Pages anyone may read without signing in (fee notices, arrears lists, satisfaction lists)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

# How long a proxy or browser may keep an anonymous copy of a public page, in seconds: notices
# change when a scheme is posted or a month is billed, lists when an order is rated.
PUBLIC_MAX_AGE = 300


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
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
