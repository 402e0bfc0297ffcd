from laoyuan.billing.views import collection, desk, public, resident

app_name = "billing"

urlpatterns = [
    *desk.urlpatterns,
    *collection.urlpatterns,
    *resident.urlpatterns,
    *public.urlpatterns,
]
