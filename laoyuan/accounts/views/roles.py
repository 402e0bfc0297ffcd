"""Pages for users and roles: the people holding roles in the actor's scope, granting,
inviting, revoking, and accepting an invitation."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from laoyuan.accounts import queries, services
from laoyuan.accounts.enums import Role
from laoyuan.accounts.forms import GrantForm, InviteForm
from laoyuan.accounts.views._common import PAGE_SIZE, _form_page
from laoyuan.core.forms import apply_service_errors


def _require_manager(request: HttpRequest) -> None:
    if not queries.manages_users(request.user):
        raise Http404


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """People holding roles inside the actor's scope, with the roles they hold there."""
    _require_manager(request)
    search = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    qs = queries.users_in_scope(actor=request.user, search=search, role=role)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [a.pk for user in page.object_list for a in getattr(user, "visible_assignments", [])]
    revocable = set(
        queries.revocable_assignments(request.user)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/users.html",
        {
            "page": page,
            "query": query.urlencode(),
            "search": search,
            "role": role,
            "roles": Role.choices,
            "revocable": revocable,
        },
    )


@login_required
def grant(request: HttpRequest) -> HttpResponse:
    _require_manager(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        assignment = services.grant_role(
            actor=request.user, user=data["account"], role=data["role"], scope=data["scope_object"]
        )
        messages.success(
            request,
            _("%(user)s now holds the role %(role)s at %(scope)s.")
            % {
                "user": assignment.user.display_name,
                "role": assignment.get_role_display(),
                "scope": assignment.scope_label,
            },
        )
        return redirect("accounts:users")

    return _form_page(
        request,
        GrantForm,
        {"actor": request.user},
        act=act,
        context={"title": _("Grant a role"), "submit": _("Grant the role")},
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    _require_manager(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        invitation, _token = services.invite_user(
            actor=request.user,
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            role=data["role"],
            scope=data["scope_object"],
            accept_url=lambda token: request.build_absolute_uri(
                reverse("accounts:accept_invite", args=[token])
            ),
        )
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
        messages.success(
            request,
            _("The invitation for %(name)s was sent. The link works until %(date)s.")
            % {"name": invitation.name, "date": expires},
        )
        return redirect("accounts:users")

    return _form_page(
        request,
        InviteForm,
        {"actor": request.user},
        act=act,
        context={"title": _("Invite a person"), "submit": _("Send the invitation")},
    )


@login_required
@require_POST
def revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    _require_manager(request)
    assignment = (
        queries.visible_assignments(request.user)
        .select_related(*queries.assignment_display_related(), "user")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or (
        assignment.user_id != request.user.pk
        and not queries.may_revoke(request.user, assignment=assignment)
    ):
        raise Http404
    try:
        services.revoke_role(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("The role %(role)s of %(user)s at %(scope)s was revoked.")
            % {
                "role": assignment.get_role_display(),
                "user": assignment.user.display_name,
                "scope": assignment.scope_label,
            },
        )
    return redirect("accounts:users")


@never_cache
def accept_invite(request: HttpRequest, token: str) -> HttpResponse:
    invitation = queries.find_invitation(token)
    if invitation is None or not services.invitation_is_open(invitation):
        return render(request, "accounts/invite_invalid.html", status=404)
    user = invitation.assignment.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            user.refresh_from_db()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Laoyuan. Your password is set."))
            return redirect("dashboard:home")
    return render(request, "accounts/accept_invite.html", {"form": form, "invitation": invitation})
