from django.contrib.auth import views as auth_views
from django.urls import path

from laoyuan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's LogoutView answers POST only (a GET cannot sign anybody out).
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/", views.users, name="users"),
    path("users/grant/", views.grant, name="grant"),
    path("users/invite/", views.invite, name="invite"),
    path("roles/<int:assignment_id>/revoke/", views.revoke, name="revoke"),
    path("invitations/<str:token>/", views.accept_invite, name="accept_invite"),
    path("residents/bind/", views.bind, name="bind"),
    path("signup/", views.signup, name="signup"),
    path("signup/code/", views.signup_verify, name="signup_verify"),
    path("signup/details/", views.signup_details, name="signup_details"),
    path("signup/status/", views.signup_status, name="signup_status"),
    path("signup-requests/", views.signup_requests, name="signup_requests"),
    path("signup-requests/<int:pk>/confirm/", views.signup_confirm, name="signup_confirm"),
    path("signup-requests/<int:pk>/reject/", views.signup_reject, name="signup_reject"),
    path("people/<int:person_id>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("audit/", views.audit, name="audit"),
]
