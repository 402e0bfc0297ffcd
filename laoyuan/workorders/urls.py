from laoyuan.workorders.views import orders, problem_lists, public, queues, reports, resident

app_name = "workorders"

urlpatterns = [
    *orders.urlpatterns,
    *resident.urlpatterns,
    *queues.urlpatterns,
    *problem_lists.urlpatterns,
    *reports.urlpatterns,
    *public.urlpatterns,
]
