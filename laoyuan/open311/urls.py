"""Open311 GeoReport v2 (placeholder until its owner fills it in)."""

from django.urls import URLPattern

app_name = "open311"

urlpatterns: list[URLPattern] = []
