from django.apps import AppConfig


class TimebankConfig(AppConfig):
    name = "laoyuan.timebank"
    label = "timebank"
    verbose_name = "Time bank (时间银行)"

    def ready(self) -> None:
        # The time bank sits to the right of accounts and inbox: it registers its own scope rules
        # and notification labels.
        from laoyuan.inbox import registry
        from laoyuan.timebank import scoping
        from laoyuan.timebank.notices import LABELS

        scoping.register()
        registry.register(LABELS)
