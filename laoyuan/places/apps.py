from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "laoyuan.places"
    label = "places"
