from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "laoyuan.accounts"
    label = "accounts"
