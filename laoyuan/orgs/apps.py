from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "laoyuan.orgs"
    label = "orgs"
