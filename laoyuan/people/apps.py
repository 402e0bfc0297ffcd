from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "laoyuan.people"
    label = "people"
