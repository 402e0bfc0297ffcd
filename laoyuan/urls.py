from django.urls import include, path

urlpatterns = [
    path("", include("laoyuan.core.urls")),
    path("", include("laoyuan.dashboard.urls")),
    path("accounts/", include("laoyuan.accounts.urls")),
    path("places/", include("laoyuan.places.urls")),
    path("orgs/", include("laoyuan.orgs.urls")),
    path("imports/", include("laoyuan.imports.urls")),
    path("billing/", include("laoyuan.billing.urls")),
    path("workorders/", include("laoyuan.workorders.urls")),
    path("timebank/", include("laoyuan.timebank.urls")),
    path("ratings/", include("laoyuan.ratings.urls")),
    path("inbox/", include("laoyuan.inbox.urls")),
    path("api/v1/", include("laoyuan.api.urls")),
    path("open311/v2/", include("laoyuan.open311.urls")),
]
