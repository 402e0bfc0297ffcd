"""Template helpers: Bootstrap form controls, and masked personal data with a logged reveal."""

from typing import Any

from django import template
from django.forms import BoundField, CheckboxInput, RadioSelect, Select, SelectMultiple
from django.utils.safestring import SafeString

from laoyuan.accounts import queries
from laoyuan.accounts.enums import reveal_roles
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.personal import mask_phone
from laoyuan.imports.queries import IMPORT_ROLES
from laoyuan.people.enums import HouseholdRole
from laoyuan.people.models import Person

register = template.Library()


@register.filter
def control(field: BoundField) -> SafeString:
    """The field's widget with Bootstrap's classes (and ``is-invalid`` when it has errors)."""
    widget = field.field.widget
    if isinstance(widget, CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, Select | SelectMultiple) and not isinstance(widget, RadioSelect):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def refreshes(field: BoundField) -> bool:
    """Whether changing this field redraws the form's later choices."""
    return "hx-post" in field.field.widget.attrs


@register.filter
def masked_phone(phone: str) -> str:
    return mask_phone(phone) if phone else ""


@register.filter
def household_role_label(value: str) -> str:
    return str(HouseholdRole(value).label) if value in HouseholdRole.values else value


@register.inclusion_tag("accounts/_masked.html", takes_context=True)
def masked(context: dict[str, Any], person: Any, field: str = "phone") -> dict[str, Any]:
    """A person's phone or ID number, masked; roles that need it get a button that reveals the
    whole value (each reveal is logged by ``accounts:reveal``)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    value = person.masked_phone if field == "phone" else person.masked_id_number
    return {
        "person": person,
        "field": field,
        "value": value,
        "can_reveal": bool(value)
        and scoped(Person.objects.filter(pk=person.pk), user, reveal_roles(field)).exists(),
    }


@register.simple_tag(takes_context=True)
def accounts_menu(context: dict[str, Any]) -> dict[str, bool]:
    """Which account pages the signed-in user may open, for the navigation:
    ``{% accounts_menu as menu %}{% if menu.users %}…{% endif %}``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "users": False,
            "bind": False,
            "signup_requests": False,
            "audit": False,
            "imports": False,
        }
    manages = queries.manages_users(user)
    return {
        "users": manages,
        "bind": manages and queries.binds_residents(user),
        "signup_requests": manages and queries.binds_residents(user),
        "audit": queries.audit_visibility(user) is not None,
        "imports": scope_for(user).has_role(*IMPORT_ROLES),
    }
