from laoyuan.ratings.views import (
    compounds,
    evaluations,
    funds,
    public,
    rankings,
    standards,
    subsidies,
    survey,
)

app_name = "ratings"

urlpatterns = [
    *public.urlpatterns,
    *compounds.urlpatterns,
    *evaluations.urlpatterns,
    *subsidies.urlpatterns,
    *rankings.urlpatterns,
    *standards.urlpatterns,
    *survey.urlpatterns,
    *funds.urlpatterns,
]
