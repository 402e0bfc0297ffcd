from django.urls import path

from laoyuan.orgs import views

app_name = "orgs"
urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/export.xlsx", views.company_export, name="company_export"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/posts/new/", views.company_post_add, name="company_post_add"),
    path("committees/", views.committee_list, name="committee_list"),
    path("committees/export.xlsx", views.committee_export, name="committee_export"),
    path("committees/new/", views.committee_create, name="committee_create"),
    path("committees/<int:pk>/", views.committee_detail, name="committee_detail"),
    path("committees/<int:pk>/edit/", views.committee_edit, name="committee_edit"),
    path(
        "committees/<int:pk>/members/new/",
        views.committee_member_add,
        name="committee_member_add",
    ),
    path("posts/<int:pk>/end/", views.post_end, name="post_end"),
    path("party/", views.party, name="party"),
    path("party/new/", views.party_create, name="party_create"),
    path("party/<int:pk>/posts/new/", views.party_post_add, name="party_post_add"),
    path("cadres/", views.cadres, name="cadres"),
    path("cadres/new/", views.cadre_assign, name="cadre_assign"),
    path("cadres/<int:pk>/end/", views.cadre_end, name="cadre_end"),
    path("agency-branches/new/", views.agency_branch_create, name="agency_branch_create"),
]
