from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "laoyuan.dashboard"
    label = "dashboard"
