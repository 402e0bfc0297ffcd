"""``python manage.py demo_logins``: who to sign in as after ``seed_demo`` (``make run``)."""

from typing import Any

from django.core.management.base import BaseCommand

from laoyuan.accounts.enums import Role, ScopeLevel
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.demo.users import DEFAULT_PASSWORD, DEMO_USERS

URL = "http://127.0.0.1:8000/"


def scope_name(assignment: RoleAssignment) -> str:
    if assignment.level == ScopeLevel.HOUSE and assignment.house is not None:
        house = assignment.house
        return f"{house.compound.name} {house.label}"
    if assignment.level == ScopeLevel.COMPOUND and assignment.compound is not None:
        return f"{assignment.compound.code} {assignment.compound.name}"
    return str(assignment.scope_object)


class Command(BaseCommand):
    help = "Print the demo users, their roles and scopes, and where to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        usernames = [username for username, _ in DEMO_USERS]
        users = {u.username: u for u in User.objects.filter(username__in=usernames)}
        if not users:
            self.stdout.write("No demo users yet: run `python manage.py seed_demo` first.")
            return
        assignments: dict[int, list[RoleAssignment]] = {}
        for assignment in (
            RoleAssignment.objects.active()
            .filter(user__in=users.values())
            .select_related(
                "district",
                "street",
                "community",
                "grid",
                "compound",
                "house__compound",
                "house__building",
                "company",
            )
            .order_by("id")
        ):
            assignments.setdefault(assignment.user_id, []).append(assignment)

        district = users.get("demo-district")
        if district is not None and district.check_password(DEFAULT_PASSWORD):
            password = f"password: {DEFAULT_PASSWORD}"
        else:
            password = "password: the password given to seed_demo"
        self.stdout.write(f"Demo users ({password}), sign in at {URL}")
        for username in usernames:
            user = users.get(username)
            if user is None:
                continue
            held = assignments.get(user.pk, [])
            roles = ", ".join(str(Role(a.role).label) for a in held) or "no role"
            scopes = "; ".join(scope_name(a) for a in held)
            self.stdout.write(f"  {username:<16} {roles} — {scopes}")
