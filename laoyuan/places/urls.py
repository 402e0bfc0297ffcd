from django.urls import path

from laoyuan.places import views

app_name = "places"
urlpatterns = [
    path("compounds/", views.compound_list_page, name="compound_list"),
    path("compounds/export.xlsx", views.compound_export, name="compound_export"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound_detail"),
    path("compounds/<int:pk>/mode/", views.compound_mode, name="compound_mode"),
    path("houses/<int:pk>/", views.house_detail, name="house_detail"),
    path("streets/<int:pk>/", views.street_detail, name="street_detail"),
    path("communities/<int:pk>/", views.community_detail, name="community_detail"),
    path("takeovers/<int:pk>/<str:which>/", views.takeover_file, name="takeover_file"),
]
