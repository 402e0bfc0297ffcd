from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "laoyuan.demo"
    label = "demo"
