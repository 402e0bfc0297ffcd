"""The demo users: one per role but merchant, all of whose scopes cover the demo compound."""

from typing import Any

from django.contrib.auth.hashers import make_password

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.accounts.queries import level_for
from laoyuan.people.models import Person

DEFAULT_PASSWORD = "laoyuan-demo"

DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo-district", Role.DISTRICT),
    ("demo-street", Role.STREET),
    ("demo-community", Role.COMMUNITY),
    ("demo-grid", Role.GRID),
    ("demo-branch", Role.BRANCH),
    ("demo-company", Role.COMPANY),
    ("demo-committee", Role.COMMITTEE),
    ("demo-resident", Role.RESIDENT),
    ("demo-inspector", Role.INSPECTOR),
)


def write_demo_users(*, password: str, scopes: dict[str, Any], person: Person) -> list[User]:
    """Create (or reset) the demo users, each with one role bound to ``scopes[role]``; the
    resident's user is linked to ``person``, who lives in the resident's house."""
    # The demo users share one published password: hashing it once instead of nine times saves
    # a few seconds of PBKDF2 and reveals nothing that is not in the README.
    encoded = make_password(password)
    users = []
    for username, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.password = encoded
        user.is_active = True
        if role == Role.RESIDENT:
            user.person = person
        user.save()
        scope = scopes[role]
        level = level_for(scope)
        RoleAssignment.objects.create(user=user, role=role, level=level, **{level: scope})
        users.append(user)
    return users
