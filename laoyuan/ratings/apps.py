from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "laoyuan.ratings"
    label = "ratings"
    verbose_name = "Star rating and subsidies (星级评定与补贴)"

    def ready(self) -> None:
        # Ratings sit to the right of billing and the time bank: they register their own scope
        # rules in accounts.scoping.
        from laoyuan.ratings import scoping

        scoping.register()
