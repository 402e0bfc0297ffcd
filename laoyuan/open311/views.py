"""The GeoReport v2 endpoints under /open311/v2/, each in .json and .xml.

Reads need no key and show only what ``queries`` makes public. POST requests needs a partner's
``api_key`` (403 otherwise) and is exempt from CSRF (the key is the credential, there is no
session); it takes form-encoded bodies, as the spec does, and JSON. There is no rate limit here:
put one in the reverse proxy in front of a public deployment.

GET requests: ``service_request_id`` (a comma list; every other filter is then ignored, as the
spec says), ``service_code`` (a comma list), ``status`` (open, closed or both), ``start_date`` and
``end_date`` (ISO 8601, both inclusive, on the requested time; without a zone they are in the
site's time zone, Asia/Shanghai by default; a bare date is the whole day), ``jurisdiction_id``
(a district code). Without dates it answers the last 90 days; one date alone reaches 90 days
from it; a span over 90 days is a 400. At most 1000 requests, newest first.
"""

import datetime
import json
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from laoyuan.open311 import queries
from laoyuan.open311.render import errors, respond
from laoyuan.open311.services import file_request, partner_for_key
from laoyuan.workorders.enums import CategoryKind
from laoyuan.workorders.models import Partner

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's changeset).
CHANGESET = "2026-11-27T00:00:00+08:00"
PLACE_ATTRIBUTE = "place"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# An order id: ASCII digits that fit a 64-bit key.
_ID = re.compile(r"^[0-9]{1,18}$")


class Problem(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = list(descriptions)


View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Answer other methods with 405 and every Problem in the spec's error format. No
    endpoint reads a session or a cookie (POST authenticates with its api_key), so none needs
    CSRF protection."""

    def wrap(view: View) -> View:
        def run(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = errors(fmt, 405, [_("Method not allowed.")])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Problem as problem:
                return errors(fmt, problem.status, problem.descriptions)

        run.__name__ = view.__name__
        run.__doc__ = view.__doc__
        return csrf_exempt(run)

    return wrap


def _partner(key: str, *, required: bool) -> Partner | None:
    if not key:
        if required:
            raise Problem(403, _("api_key is required."))
        return None
    partner = partner_for_key(key)
    if partner is None:
        raise Problem(403, _("api_key is invalid or inactive."))
    return partner


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = reverse("open311:services", kwargs={"fmt": "json"}).removesuffix("services.json")
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("The district office that runs this platform."),
            "key_service": _(
                "API keys are issued by the district office to partner platforms "
                "(python manage.py open311_partner)."
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": request.build_absolute_uri(base),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    kinds = dict(CategoryKind.choices)
    rows = [
        {
            "service_code": c.code,
            "service_name": c.shown_name,
            "description": c.description,
            "metadata": True,
            "type": "realtime",
            "keywords": c.keywords,
            "group": str(kinds.get(c.kind, c.kind)),
        }
        for c in queries.services()
    ]
    return respond(fmt, "services", rows)


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not queries.services().filter(code=code).exists():
        raise Problem(404, _("No service has this service_code."))
    attributes = [
        {
            "variable": True,
            "code": PLACE_ATTRIBUTE,
            "datatype": "string",
            "required": False,
            "datatype_description": _("Building, unit or part of the compound."),
            "order": 1,
            "description": _("Where in the compound is the problem?"),
        }
    ]
    return respond(fmt, "service_definition", {"service_code": code, "attributes": attributes})


def _post_params(request: HttpRequest) -> dict[str, str]:
    """The POST's parameters, form-encoded (the spec's way) or JSON, as strings."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, _("The body is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise Problem(400, _("The body must be a JSON object."))
        params: dict[str, str] = {}
        for key, value in body.items():
            if key == "attribute" and isinstance(value, dict):
                for name, inner in value.items():
                    params[f"attribute[{name}]"] = "" if inner is None else str(inner)
            elif value is not None:
                params[str(key)] = str(value)
        return params
    form: QueryDict = request.POST
    return {key: form.get(key, "") for key in form}


def _coordinate(params: dict[str, str], field: str, limit: float) -> float | None:
    text = params.get(field, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Problem(400, _("%(field)s: not a number.") % {"field": field}) from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Problem(400, _("%(field)s: out of range.") % {"field": field})
    return value


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _post_params(request)
    partner = _partner(params.get("api_key") or request.GET.get("api_key", ""), required=True)
    assert partner is not None
    jurisdiction = params.get("jurisdiction_id", "").strip()
    if jurisdiction and jurisdiction != partner.district.code:
        raise Problem(400, _("jurisdiction_id: this key is for another jurisdiction."))
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise Problem(400, _("service_code is required."))
    lat = _coordinate(params, "lat", 90)
    lng = _coordinate(params, "long", 180)
    if (lat is None) != (lng is None):
        raise Problem(400, _("Give both lat and long, or neither."))
    try:
        order = file_request(
            partner=partner,
            service_code=service_code,
            description=params.get("description", ""),
            address_id=params.get("address_id", "").strip(),
            latitude=lat,
            longitude=lng,
            address_string=params.get("address_string", ""),
            place=params.get(f"attribute[{PLACE_ATTRIBUTE}]", ""),
            email=params.get("email", ""),
            phone=params.get("phone", ""),
            first_name=params.get("first_name", ""),
            last_name=params.get("last_name", ""),
            account_id=params.get("account_id", ""),
            device_id=params.get("device_id", ""),
            media_url=params.get("media_url", ""),
        )
    except ValidationError as error:
        rename = {"category": "service_code"}
        raise Problem(
            400,
            *(
                f"{rename.get(field, field)}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ),
        ) from None
    row = {
        "service_request_id": str(order.pk),
        "token": str(order.token),
        "service_notice": queries.order_notice(order),
        "account_id": params.get("account_id", "").strip() or None,
    }
    return respond(fmt, "service_requests", [row], status=201)


def _when(params: QueryDict, field: str, *, end: bool) -> datetime.datetime | None:
    text = params.get(field, "").strip()
    if not text:
        return None
    # An unencoded "+" in a query string arrives as a space: 10:00:00 08:00.
    text = re.sub(r" (\d{2}(:?\d{2})?)$", r"+\1", text)
    value: datetime.datetime | None = None
    try:
        day = parse_date(text) if _DATE_ONLY.match(text) else None
        if day is not None:
            # A whole day: from its first moment, or to its last.
            value = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
        else:
            value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise Problem(400, _("%(field)s: not an ISO 8601 date and time.") % {"field": field})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _list(request: HttpRequest, fmt: str, partner: Partner | None) -> HttpResponse:
    params = request.GET
    orders = queries.public_orders(partner)
    ids_text = params.get("service_request_id", "").strip()
    if ids_text:
        # The spec: with service_request_id every other filter is ignored.
        ids = [part.strip() for part in ids_text.split(",") if part.strip()]
        if not all(_ID.match(part) for part in ids):
            raise Problem(400, _("service_request_id: a comma-separated list of ids."))
        orders = orders.filter(pk__in=[int(part) for part in ids])
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            orders = orders.filter(category__code__in=codes)
        wanted = [s.strip() for s in params.get("status", "").split(",") if s.strip()]
        if wanted:
            if not set(wanted) <= {queries.OPEN, queries.CLOSED}:
                raise Problem(400, _("status: open or closed."))
            orders = orders.filter(
                status__in=[s for w in set(wanted) for s in queries.statuses_for(w)]
            )
        jurisdiction = params.get("jurisdiction_id", "").strip()
        if jurisdiction:
            orders = orders.filter(district__code=jurisdiction)
        start = _when(params, "start_date", end=False)
        end = _when(params, "end_date", end=True)
        span = datetime.timedelta(days=queries.MAX_SPAN_DAYS)
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            assert end is not None
            start = end - span
        if end is None:
            end = start + span
        if start > end:
            raise Problem(400, _("start_date is after end_date."))
        if end - start > span:
            raise Problem(
                400,
                _("start_date and end_date may not span more than %(days)d days.")
                % {"days": queries.MAX_SPAN_DAYS},
            )
        orders = orders.filter(created_at__gte=start, created_at__lte=end)
    rows = queries.request_rows(orders, queries.MAX_REQUESTS)
    return respond(fmt, "service_requests", rows)


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt, _partner(request.GET.get("api_key", ""), required=False))


@endpoint("GET")
def request_detail(request: HttpRequest, pk: str, fmt: str) -> HttpResponse:
    partner = _partner(request.GET.get("api_key", ""), required=False)
    rows = (
        queries.request_rows(queries.public_orders(partner).filter(pk=int(pk)))
        if _ID.match(pk)
        else []
    )
    if not rows:
        raise Problem(404, _("No service request has this id."))
    return respond(fmt, "service_requests", rows)


@endpoint("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    partner = _partner(request.GET.get("api_key", ""), required=False)
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    found = (
        queries.public_orders(partner).filter(token=value).values_list("pk", flat=True).first()
        if value is not None
        else None
    )
    if found is None:
        raise Problem(404, _("No service request has this token."))
    return respond(
        fmt, "service_requests", [{"service_request_id": str(found), "token": str(value)}]
    )


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, as XML when asked for."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return errors(fmt, 404, [_("No such resource.")])
