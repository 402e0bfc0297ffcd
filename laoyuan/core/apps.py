from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "laoyuan.core"
    label = "core"
