from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT = "district", _("District office (区物业办)")
    STREET = "street", _("Street office (街道办事处)")
    COMMUNITY = "community", _("Community (社区)")
    GRID = "grid", _("Grid worker (网格员)")
    BRANCH = "branch", _("Compound party branch (楼院党支部)")
    COMPANY = "company", _("Property company (物业公司)")
    COMMITTEE = "committee", _("Committee (业委会/自管会)")
    RESIDENT = "resident", _("Resident (居民)")
    INSPECTOR = "inspector", _("Star-rating inspector (星级评定员)")
    MERCHANT = "merchant", _("Partner merchant (合作商家)")


class ScopeLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Compound")
    HOUSE = "house", _("House")
    COMPANY = "company", _("Property company")


# Which kind of scope each role is bound to (first is the usual one).
ROLE_SCOPE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: (ScopeLevel.DISTRICT,),
    Role.STREET: (ScopeLevel.STREET,),
    Role.COMMUNITY: (ScopeLevel.COMMUNITY,),
    Role.GRID: (ScopeLevel.GRID,),
    Role.BRANCH: (ScopeLevel.COMPOUND,),
    Role.COMPANY: (ScopeLevel.COMPANY,),
    Role.COMMITTEE: (ScopeLevel.COMPOUND,),
    Role.RESIDENT: (ScopeLevel.HOUSE,),
    Role.INSPECTOR: (ScopeLevel.DISTRICT, ScopeLevel.STREET),
    Role.MERCHANT: (ScopeLevel.STREET, ScopeLevel.COMMUNITY),
}

# Roles that may grant roles to others within their own scope, and which roles they may grant.
GRANTABLE_BY: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: tuple(Role.values),
    Role.STREET: (
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMMITTEE,
        Role.RESIDENT,
        Role.INSPECTOR,
        Role.MERCHANT,
    ),
    Role.COMMUNITY: (Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT),
    Role.COMPANY: (Role.COMPANY, Role.RESIDENT),
}

# Roles whose work needs a resident's whole phone number (each reveal is still logged).
PHONE_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.COMPANY})
# Whole ID numbers only for the offices that check identities (each reveal is logged).
ID_NUMBER_ROLES = frozenset({Role.DISTRICT, Role.STREET})


def reveal_roles(field: str) -> frozenset[str]:
    """The roles that may see the whole value of a personal-data field."""
    return ID_NUMBER_ROLES if field == "id_number" else PHONE_ROLES


class SignupStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
