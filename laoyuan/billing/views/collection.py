"""Placeholder until its pages land."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
