"""Organisations: property companies, committees, the five-level party-mass structure, agency
branches and the cadres they sink into grids, and the posts people hold in all of them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel


class PropertyCompany(models.Model):
    # The district the company is registered with; it may also serve compounds elsewhere.
    district = models.ForeignKey(
        "places.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="companies",
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CompanyKind.choices)
    # Public companies are owned by a street office (街道主导的国有物业公司).
    street = models.ForeignKey(
        "places.Street",
        verbose_name=_("owning street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="companies",
    )
    phone = models.CharField(_("service phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("property company (物业公司)")
        verbose_name_plural = _("property companies")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="public") | models.Q(street__isnull=False),
                name="public_company_has_street",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="committees",
    )
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=CommitteeKind.choices)
    name = models.CharField(_("name"), max_length=100)
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"))

    class Meta:
        verbose_name = _("committee (业委会/自管会)")
        verbose_name_plural = _("committees")
        ordering = ["compound", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__gt=models.F("term_start")),
                name="committee_term_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartyOrg(models.Model):
    """One body of the five-level structure, attached to the place it serves."""

    level = models.PositiveSmallIntegerField(_("level"), choices=PartyLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "places.Community", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(
        "places.Compound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
    )
    building = models.ForeignKey(
        "places.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A central household (党群中心户) is a house whose family links its neighbours to the party.
    house = models.ForeignKey(
        "places.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("party organisation (党组织)")
        verbose_name_plural = _("party organisations")
        ordering = ["level", "id"]
        indexes = [models.Index(fields=["level", "street"])]

    def __str__(self) -> str:
        return self.name


class AgencyBranch(models.Model):
    """A party branch of a district agency (机关党支部) that sinks cadres into grids."""

    district = models.ForeignKey(
        "places.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="agency_branches",
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    agency = models.CharField(_("agency"), max_length=100)

    class Meta:
        verbose_name = _("agency party branch (机关党支部)")
        verbose_name_plural = _("agency party branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Cadre(models.Model):
    """A section-level cadre sunk into a grid (下沉干部)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(
        AgencyBranch,
        verbose_name=_("agency branch"),
        on_delete=models.PROTECT,
        related_name="cadres",
    )
    grid = models.ForeignKey(
        "places.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="cadres"
    )
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("cadre in grid (下沉干部)")
        verbose_name_plural = _("cadres in grids")
        ordering = ["grid", "id"]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.grid_id}"


class Post(models.Model):
    """A post a person holds in a committee, a party body or a company. A person with posts in
    several bodies is a cross-appointment (双向进入、交叉任职)."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="posts"
    )
    title = models.CharField(_("post"), max_length=50)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    party_org = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    company = models.ForeignKey(
        PropertyCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    term_start = models.DateField(_("from"))
    term_end = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("post (职务)")
        verbose_name_plural = _("posts")
        ordering = ["person", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(committee__isnull=False, party_org__isnull=True, company__isnull=True)
                    | models.Q(
                        committee__isnull=True, party_org__isnull=False, company__isnull=True
                    )
                    | models.Q(
                        committee__isnull=True, party_org__isnull=True, company__isnull=False
                    )
                ),
                name="post_in_exactly_one_body",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.title}"
