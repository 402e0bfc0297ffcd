from django.urls import path

from laoyuan.timebank.views import activities, claims, households, orgs, pools, reports, resident

app_name = "timebank"

urlpatterns = [
    # A resident's own hours (balance, postings, claims, redemptions, donations).
    path("", resident.mine, name="mine"),
    path("redeem/", resident.redeem, name="redeem"),
    path("donate/", resident.donate, name="donate"),
    path("claim/", resident.claim_new, name="claim_new"),
    # Activities and posts.
    path("activities/", activities.activity_list, name="activities"),
    path("activities/new/", activities.activity_new, name="activity_new"),
    path("activities/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("posts/new/", activities.post_new, name="post_new"),
    # Verification.
    path("verify/", claims.queue, name="queue"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/verify/", claims.claim_verify, name="claim_verify"),
    path("claims/<int:pk>/reject/", claims.claim_reject, name="claim_reject"),
    path("claims/<int:pk>/reverse/", claims.claim_reverse, name="claim_reverse"),
    path("claims/<int:pk>/photo/", claims.claim_photo, name="claim_photo"),
    # Organisations and volunteers.
    path("orgs/", orgs.org_list, name="orgs"),
    path("orgs/new/", orgs.org_new, name="org_new"),
    path("orgs/<int:pk>/", orgs.org_detail, name="org_detail"),
    path("volunteers/", orgs.volunteer_list, name="volunteers"),
    path("volunteers/new/", orgs.volunteer_new, name="volunteer_new"),
    # A household's hours for staff (redeem or donate on its behalf).
    path("households/<int:house_id>/", households.household, name="household"),
    # Money: pools and rates.
    path("pools/", pools.pool_list, name="pools"),
    path("pools/<int:pk>/", pools.pool_detail, name="pool_detail"),
    path("rates/", pools.rates, name="rates"),
    # Reports.
    path("reports/", reports.reports, name="reports"),
    path("reports/export.xlsx", reports.export, name="reports_export"),
]
