from typing import Any

from django.http import HttpRequest


def laoyuan(request: HttpRequest) -> dict[str, Any]:
    from laoyuan.core.views import LARGE_TYPE_COOKIE

    return {"large_type": request.COOKIES.get(LARGE_TYPE_COOKIE) == "1"}
