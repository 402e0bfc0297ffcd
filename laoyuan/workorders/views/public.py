"""Placeholder: filled in by its owner (see the issue-4 brief)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
