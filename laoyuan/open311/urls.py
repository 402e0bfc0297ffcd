"""Open311 GeoReport v2 (see views): every resource as <name>.json or <name>.xml."""

from django.urls import URLPattern, re_path

from laoyuan.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<pk>[^/.]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/.]+)" + FMT, views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
