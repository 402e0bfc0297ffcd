"""The sign-in page (its form checks the lockout through ``services.sign_in_attempt``)."""

from django.contrib.auth import views as auth_views

from laoyuan.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
