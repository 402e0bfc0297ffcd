from django.db import models
from django.utils.translation import gettext_lazy as _


class CompanyKind(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional (社会化)")
    PUBLIC = "public", _("Public, street-led (街道公办)")


class CommitteeKind(models.TextChoices):
    OWNERS = "owners", _("Owners' committee (业主委员会)")
    SELF_MANAGEMENT = "self_management", _("Self-management committee (自管会)")
    PROPERTY_MANAGEMENT = "property_management", _("Property management committee (物业管理委员会)")


class PartyLevel(models.IntegerChoices):
    """The five-level party-mass structure (五级党群联动), top to bottom."""

    STREET_COMMITTEE = 1, _("Street party working committee (街道党工委)")
    COMMUNITY_COMMITTEE = 2, _("Community party committee (社区党委)")
    COMPOUND_BRANCH = 3, _("Compound party branch (楼院党支部)")
    BUILDING_GROUP = 4, _("Building party group (楼栋党小组)")
    CENTRAL_HOUSEHOLD = 5, _("Party-mass central household (党群中心户)")
