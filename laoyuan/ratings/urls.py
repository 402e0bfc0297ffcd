from laoyuan.ratings.views import compounds, public

app_name = "ratings"

urlpatterns = [*public.urlpatterns, *compounds.urlpatterns]
