from laoyuan.inbox import views

app_name = "inbox"

urlpatterns = views.urlpatterns
