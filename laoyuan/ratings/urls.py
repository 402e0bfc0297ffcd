from laoyuan.ratings.views import compounds, evaluations, public, rankings, subsidies

app_name = "ratings"

urlpatterns = [
    *public.urlpatterns,
    *compounds.urlpatterns,
    *evaluations.urlpatterns,
    *subsidies.urlpatterns,
    *rankings.urlpatterns,
]
