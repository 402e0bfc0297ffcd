from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "laoyuan.api"
    label = "api"
