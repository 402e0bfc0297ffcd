from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "laoyuan.billing"
    label = "billing"
    verbose_name = "Billing (物业费)"

    def ready(self) -> None:
        # Billing sits to the right of accounts in the import rule, so it registers its own
        # scope rules rather than accounts importing billing.
        from laoyuan.billing import scoping

        scoping.register()
