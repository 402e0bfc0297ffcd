from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

LARGE_TYPE_COOKIE = "laoyuan_large_type"
YEAR = 365 * 24 * 3600


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise. No login, no details."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_back(request))
    if language in {code for code, _name in settings.LANGUAGES}:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=YEAR,
            samesite="Lax",
            secure=not settings.DEBUG,
        )
    return response


@require_POST
def toggle_large_type(request: HttpRequest) -> HttpResponse:
    """The elderly-friendly large-type, high-contrast option (适老化), kept in a cookie."""
    response = HttpResponseRedirect(_back(request))
    if request.COOKIES.get(LARGE_TYPE_COOKIE) == "1":
        response.delete_cookie(LARGE_TYPE_COOKIE)
    else:
        response.set_cookie(
            LARGE_TYPE_COOKIE, "1", max_age=YEAR, samesite="Lax", secure=not settings.DEBUG
        )
    return response
