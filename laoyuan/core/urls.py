from django.urls import path

from laoyuan.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("large-type/", views.toggle_large_type, name="large_type"),
]
