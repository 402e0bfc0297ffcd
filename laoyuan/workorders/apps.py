from django.apps import AppConfig


class WorkOrdersConfig(AppConfig):
    name = "laoyuan.workorders"
    label = "workorders"
    verbose_name = "Work orders (工单)"

    def ready(self) -> None:
        # Work orders sit to the right of accounts and inbox: they register their own scope
        # rules and notification labels.
        from laoyuan.inbox import registry
        from laoyuan.workorders import scoping
        from laoyuan.workorders.notices import LABELS

        scoping.register()
        registry.register(LABELS)
