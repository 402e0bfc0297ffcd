"""Users, their role assignments (each bound to one scope), invitations, sign-up requests,
one-time phone codes and the login failures that drive the lockout."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.enums import Role, ScopeLevel, SignupStatus
from laoyuan.core.personal import PHONE_RE, mask_phone

SCOPE_FIELDS = ("district", "street", "community", "grid", "compound", "house", "company")


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("resident record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    large_type = models.BooleanField(_("large type (大字模式)"), default=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def shown_username(self) -> str:
        """The user name as pages, exports and the audit trail show it: a phone number (the user
        name of phone sign-ups and phone invitations) masked, anything else as it is."""
        return mask_phone(self.username) if PHONE_RE.match(self.username) else self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.shown_username


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> "RoleAssignmentQuerySet":
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A role held by a user in one scope. Revoking sets ``revoked_at``; rows are kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    level = models.CharField(_("scope"), max_length=16, choices=ScopeLevel.choices)
    district = models.ForeignKey(
        "places.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Community", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(
        "places.Compound", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        "places.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment (角色授权)")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    *[
                        models.Q(level=level)
                        & models.Q(**{f"{level}__isnull": False})
                        & models.Q(
                            **{f"{other}__isnull": True for other in SCOPE_FIELDS if other != level}
                        )
                        for level in SCOPE_FIELDS
                    ],
                    _connector=models.Q.OR,
                ),
                name="assignment_bound_to_its_level",
            ),
        ]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role}@{self.level}"

    @property
    def scope_object(self) -> models.Model:
        scope: models.Model = getattr(self, self.level)
        return scope

    @property
    def scope_label(self) -> str:
        """The scope as a list shows it; a house with its compound (select_related both)."""
        if self.level == ScopeLevel.HOUSE and self.house is not None:
            return f"{self.house.compound.name} {self.house.label}"
        if self.level == ScopeLevel.COMPOUND and self.compound is not None:
            return f"{self.compound.code} {self.compound.name}"
        return str(self.scope_object)


class Invitation(models.Model):
    """An invitation to take a role: the invitee sets a password through the link."""

    # The SHA-256 of the token in the link (accounts.queries.invitation_token_hash); the token
    # itself is only ever in the message sent to the invitee.
    token = models.CharField(max_length=64, unique=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=100)
    assignment = models.OneToOneField(RoleAssignment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation for {self.name}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS. Only its hash is kept."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.phone[:3]}****"


class SignupRequest(models.Model):
    """A resident who signed up with a phone and asks to be bound to a house; the company or
    community confirms (binding the resident role to the house) or rejects with a reason."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signup_requests"
    )
    house = models.ForeignKey("places.House", verbose_name=_("house"), on_delete=models.PROTECT)
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    household_role = models.CharField(_("household role"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=SignupStatus.choices, default=SignupStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sign-up request")
        verbose_name_plural = _("sign-up requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-up of {self.user_id} for house {self.house_id}"


class LoginFailure(models.Model):
    """A failed sign-in, counted by username and by address for the lockout."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"failed sign-in of {self.username}"
