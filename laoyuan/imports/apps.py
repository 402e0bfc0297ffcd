from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "laoyuan.imports"
    label = "imports"
