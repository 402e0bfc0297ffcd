from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from laoyuan.api import billing, ratings, timebank, views, workorders

app_name = "api"

router = SimpleRouter()
router.register("compounds", views.CompoundViewSet, basename="compound")
router.register("houses", views.HouseViewSet, basename="house")
router.register("fee-schemes", billing.FeeSchemeViewSet, basename="fee-scheme")
router.register("billing-runs", billing.BillingRunViewSet, basename="billing-run")
router.register("work-orders", workorders.WorkOrderViewSet, basename="work-order")
router.register("timebank/activities", timebank.ActivityViewSet, basename="timebank-activity")
router.register("timebank/claims", timebank.ClaimViewSet, basename="timebank-claim")
router.register("ratings", ratings.RatingViewSet, basename="rating")
router.register("subsidies", ratings.SubsidyViewSet, basename="subsidy")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    re_path(
        r"^houses/(?P<pk>[0-9]{1,18})/account/$",
        billing.HouseAccountView.as_view(),
        name="house-account",
    ),
    path("payments/", billing.PaymentView.as_view(), name="payments"),
    path("receipts/<str:number>/", billing.ReceiptView.as_view(), name="receipt"),
    re_path(
        r"^work-orders/photos/(?P<pk>[0-9]{1,18})/$",
        workorders.WorkOrderPhotoView.as_view(),
        name="work-order-photo",
    ),
    re_path(
        r"^timebank/accounts/(?P<house>[0-9]{1,18})/$",
        timebank.HourAccountView.as_view(),
        name="timebank-account",
    ),
    path(
        "timebank/redemptions/",
        timebank.RedemptionView.as_view(),
        name="timebank-redemptions",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("", include(router.urls)),
    # Last: anything else under /api/v1/ is a JSON 404, not the site's HTML error page.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
