from django.urls import path

from laoyuan.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/screen/", views.screen, name="screen"),
    path("dashboard/map.json", views.map_data, name="map"),
]
