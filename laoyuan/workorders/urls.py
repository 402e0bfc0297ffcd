from laoyuan.workorders.views import orders

app_name = "workorders"

urlpatterns = [
    *orders.urlpatterns,
]
