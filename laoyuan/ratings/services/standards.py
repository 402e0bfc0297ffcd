"""The star standard: the district's office writes a draft, publishes it, and it is then never
edited; a change is a new version (copied from the one in use). Evaluations keep the version
they were declared under."""

import itertools
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.places.models import District
from laoyuan.ratings.enums import DEFAULT_BANDS, ItemKind, SectionKind, StandardStatus
from laoyuan.ratings.models import Item, Section, Standard
from laoyuan.ratings.scoping import require_district_office

BAND_FIELDS = ("five_stars", "four_stars", "three_stars", "two_stars", "one_star")

# The default standard shipped with the demo, after the published bands and weights
# (satisfaction 30%, management 40%, comprehensive 30%). (code, name, kind, weight, items);
# an item is (code, text, kind, points, evidence required).
DEFAULT_SECTIONS: list[tuple[str, str, str, str, list[tuple[str, str, str, str, bool]]]] = [
    (
        "S",
        "满意度测评",
        SectionKind.SURVEY,
        "30",
        [
            ("S1", "楼院环境卫生", ItemKind.SCORED, "10", False),
            ("S2", "门岗值守与安全秩序", ItemKind.SCORED, "10", False),
            ("S3", "设施维修及时", ItemKind.SCORED, "10", False),
            ("S4", "服务态度", ItemKind.SCORED, "10", False),
            ("S5", "收费公开透明", ItemKind.SCORED, "10", False),
        ],
    ),
    (
        "M",
        "管理考评",
        SectionKind.ITEMS,
        "40",
        [
            ("M1", "签订物业服务合同或委托协议并公示", ItemKind.SCORED, "10", True),
            ("M2", "收费标准、服务内容、收支情况公示", ItemKind.SCORED, "10", True),
            ("M3", "楼院每日清扫，无积存垃圾", ItemKind.SCORED, "15", True),
            ("M4", "门岗值守，巡查记录完整", ItemKind.SCORED, "15", True),
            ("M5", "共用设施设备维护良好", ItemKind.SCORED, "15", False),
            ("M6", "报修24小时内响应，工单按时办结", ItemKind.SCORED, "15", False),
            ("M7", "业主名册、收支台账等档案齐全", ItemKind.SCORED, "10", False),
            ("M8", "消防通道畅通，消防设施完好", ItemKind.SCORED, "10", True),
            ("V1", "发生重大安全责任事故", ItemKind.VETO, "0", False),
            ("V2", "因物业管理问题引发群体性事件", ItemKind.VETO, "0", False),
            ("V3", "申报材料弄虚作假", ItemKind.VETO, "0", False),
        ],
    ),
    (
        "C",
        "综合评价",
        SectionKind.ITEMS,
        "30",
        [
            ("C1", "停车秩序规范", ItemKind.SCORED, "20", False),
            ("C2", "绿化养护到位", ItemKind.SCORED, "20", False),
            ("C3", "垃圾分类落实", ItemKind.SCORED, "20", False),
            ("C4", "协商议事会定期召开，问题清单按时销号", ItemKind.SCORED, "20", False),
            ("C5", "群众投诉按时办结", ItemKind.SCORED, "20", False),
            ("B1", "楼院党支部建立并常态化活动", ItemKind.BONUS, "2", True),
            ("B2", "创建“红色物业”示范楼院", ItemKind.BONUS, "3", True),
        ],
    ),
]


def in_use(district_id: int) -> Standard | None:
    return Standard.objects.filter(district_id=district_id, status=StandardStatus.PUBLISHED).first()


def _decimal(errors: dict[str, str], field: str, value: Any, *, low: str, high: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return Decimal(0)
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        errors[field] = _("Enter a number with at most two decimal places.")
    elif not Decimal(low) <= number <= Decimal(high):
        errors[field] = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return number


@transaction.atomic
def create_default(*, district: District, actor: Any = None, publish: bool = True) -> Standard:
    """The default standard for ``district`` (the demo's, and a starting point to copy)."""
    number = (
        Standard.objects.filter(district=district).aggregate(top=Max("version"))["top"] or 0
    ) + 1
    standard = Standard.objects.create(
        district=district,
        name="老旧小区物业管理星级标准及评分细则",
        version=number,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{field: Decimal(DEFAULT_BANDS[5 - i]) for i, field in enumerate(BAND_FIELDS)},
    )
    for position, (code, name, kind, weight, items) in enumerate(DEFAULT_SECTIONS):
        section = Section.objects.create(
            standard=standard,
            code=code,
            name=name,
            kind=kind,
            weight=Decimal(weight),
            position=position,
        )
        Item.objects.bulk_create(
            Item(
                section=section,
                code=item_code,
                text=text,
                kind=item_kind,
                points=Decimal(points),
                evidence_required=evidence,
                position=index,
            )
            for index, (item_code, text, item_kind, points, evidence) in enumerate(items)
        )
    if publish:
        _publish(standard, actor)
    return standard


@transaction.atomic
def new_version(*, actor: Any, district: District) -> Standard:
    """A draft copied from the standard in use (or the default when there is none)."""
    require_district_office(actor, district.pk)
    if Standard.objects.filter(district=district, status=StandardStatus.DRAFT).exists():
        raise ValidationError(
            {"standard": _("A draft is already open: edit it or publish it first.")}
        )
    source = in_use(district.pk)
    if source is None:
        draft = create_default(district=district, actor=actor, publish=False)
    else:
        number = Standard.objects.filter(district=district).aggregate(top=Max("version"))["top"]
        draft = Standard.objects.create(
            district=district,
            name=source.name,
            version=number + 1,
            objection_days=source.objection_days,
            note=source.note,
            created_by=actor,
            **{field: getattr(source, field) for field in BAND_FIELDS},
        )
        for section in source.sections.prefetch_related("items"):
            copy = Section.objects.create(
                standard=draft,
                code=section.code,
                name=section.name,
                kind=section.kind,
                weight=section.weight,
                position=section.position,
            )
            Item.objects.bulk_create(
                Item(
                    section=copy,
                    code=item.code,
                    text=item.text,
                    kind=item.kind,
                    points=item.points,
                    evidence_required=item.evidence_required,
                    position=item.position,
                )
                for item in section.items.all()
            )
    audit.record(
        actor=actor,
        action="ratings.standard_draft",
        target=draft,
        summary=f"draft {draft} of the star standard",
        district_id=district.pk,
    )
    return draft


def _draft(actor: Any, standard: Standard) -> Standard:
    require_district_office(actor, standard.district_id)
    standard = Standard.objects.select_for_update().get(pk=standard.pk)
    if standard.status != StandardStatus.DRAFT:
        raise ValidationError(
            {"standard": _("A published standard is not edited; start a new version.")}
        )
    return standard


@transaction.atomic
def update_bands(
    *, actor: Any, standard: Standard, bands: dict[str, Any], objection_days: Any
) -> Standard:
    """Set the draft's star bands (least totals, each above the next) and objection period."""
    standard = _draft(actor, standard)
    errors: dict[str, str] = {}
    values = {
        field: _decimal(errors, field, bands.get(field, ""), low="0.01", high="100")
        for field in BAND_FIELDS
    }
    for higher, lower in itertools.pairwise(BAND_FIELDS):
        if higher not in errors and lower not in errors and values[higher] <= values[lower]:
            errors[higher] = _("Each band must start above the next one down.")
    try:
        days = int(str(objection_days))
    except ValueError:
        days = 0
    if not 1 <= days <= 60:
        errors["objection_days"] = _("Enter a whole number of days from 1 to 60.")
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(standard, field, value)
    standard.objection_days = days
    standard.save()
    audit.record(
        actor=actor,
        action="ratings.standard_bands",
        target=standard,
        summary=f"bands of {standard}",
        changes={**values, "objection_days": days},
        district_id=standard.district_id,
    )
    return standard


@transaction.atomic
def save_section(
    *,
    actor: Any,
    standard: Standard,
    code: Any,
    name: Any,
    kind: Any,
    weight: Any,
    section: Section | None = None,
) -> Section:
    """Add a section to the draft, or change one of its sections."""
    standard = _draft(actor, standard)
    errors: dict[str, str] = {}
    code = str(code or "").strip()
    name = str(name or "").strip()
    own = section.pk if section is not None else 0
    if not code or len(code) > 16:
        errors["code"] = _("Enter a code of at most 16 characters.")
    elif standard.sections.filter(code=code).exclude(pk=own).exists():
        errors["code"] = _("Another section has this code.")
    if not name or len(name) > 100:
        errors["name"] = _("Enter a name of at most 100 characters.")
    if kind not in SectionKind.values:
        errors["kind"] = _("Choose how the section is scored.")
    elif (
        kind == SectionKind.SURVEY
        and standard.sections.filter(kind=SectionKind.SURVEY).exclude(pk=own).exists()
    ):
        errors["kind"] = _("The standard already has a survey section.")
    elif (
        kind == SectionKind.SURVEY
        and section is not None
        and section.items.filter(~Q(kind=ItemKind.SCORED) | Q(evidence_required=True)).exists()
    ):
        errors["kind"] = _(
            "A survey section holds questions only: remove this section's veto, bonus and "
            "evidence items first."
        )
    number = _decimal(errors, "weight", weight, low="0.01", high="100")
    if errors:
        raise ValidationError(errors)
    if section is None:
        position = standard.sections.count()
        section = Section(standard=standard, position=position)
    elif section.standard_id != standard.pk:
        raise PermissionDenied
    section.code, section.name, section.kind, section.weight = code, name, kind, number
    section.save()
    audit.record(
        actor=actor,
        action="ratings.standard_section",
        target=section,
        summary=f"section {code} {name} ({number}%) of {standard}",
        district_id=standard.district_id,
    )
    return section


@transaction.atomic
def save_item(
    *,
    actor: Any,
    section: Section,
    code: Any,
    text: Any,
    kind: Any,
    points: Any,
    evidence_required: bool = False,
    item: Item | None = None,
) -> Item:
    """Add an item to a draft's section, or change one."""
    standard = _draft(actor, section.standard)
    errors: dict[str, str] = {}
    code = str(code or "").strip()
    text = str(text or "").strip()
    if not code or len(code) > 16:
        errors["code"] = _("Enter a code of at most 16 characters.")
    elif (
        Item.objects.filter(section__standard=standard, code=code)
        .exclude(pk=item.pk if item is not None else 0)
        .exists()
    ):
        errors["code"] = _("Another item of this standard has this code.")
    if not text or len(text) > 300:
        errors["text"] = _("Enter the item, at most 300 characters.")
    if kind not in ItemKind.values:
        errors["kind"] = _("Choose the kind of item.")
    elif section.kind == SectionKind.SURVEY and kind != ItemKind.SCORED:
        errors["kind"] = _("A survey section holds questions only.")
    number = Decimal(0)
    if kind == ItemKind.VETO:
        number = Decimal("0.00")
    else:
        number = _decimal(errors, "points", points, low="0.01", high="100")
    if errors:
        raise ValidationError(errors)
    if item is None:
        item = Item(section=section, position=section.items.count())
    elif item.section_id != section.pk:
        raise PermissionDenied
    item.code, item.text, item.kind, item.points = code, text, kind, number
    item.evidence_required = bool(evidence_required) and section.kind == SectionKind.ITEMS
    item.save()
    audit.record(
        actor=actor,
        action="ratings.standard_item",
        target=item,
        summary=f"item {code} ({kind}, {number}) of {standard}",
        district_id=standard.district_id,
    )
    return item


@transaction.atomic
def delete_item(*, actor: Any, item: Item) -> None:
    standard = _draft(actor, item.section.standard)
    audit.record(
        actor=actor,
        action="ratings.standard_item_deleted",
        target=item,
        summary=f"item {item.code} removed from {standard}",
        district_id=standard.district_id,
    )
    item.delete()
    _renumber(standard.sections.get(pk=item.section_id).items.order_by("position", "id"))


@transaction.atomic
def delete_section(*, actor: Any, section: Section) -> None:
    standard = _draft(actor, section.standard)
    audit.record(
        actor=actor,
        action="ratings.standard_section_deleted",
        target=section,
        summary=f"section {section.code} removed from {standard}",
        district_id=standard.district_id,
    )
    section.delete()
    _renumber(standard.sections.order_by("position", "id"))


def _renumber(rows: Any) -> None:
    """Positions 0, 1, 2… again after a removal, so the next one added goes last."""
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def problems(standard: Standard) -> list[str]:
    """Why the standard cannot be published yet (none: it can)."""
    found: list[str] = []
    sections = list(standard.sections.prefetch_related("items"))
    total = sum((section.weight for section in sections), Decimal(0))
    if total != 100:
        found.append(
            _("The sections' weights add up to %(total)s%%, not 100%%.") % {"total": total}
        )
    surveys = [section for section in sections if section.kind == SectionKind.SURVEY]
    if len(surveys) != 1:
        found.append(
            _(
                "The standard needs one survey section: the residents' questionnaire is "
                "scored in it."
            )
        )
    for section in sections:
        items = list(section.items.all())
        if not [item for item in items if item.kind == ItemKind.SCORED]:
            found.append(
                _("Section %(code)s has no scored item or question.") % {"code": section.code}
            )
        if section.kind == SectionKind.SURVEY and any(
            item.kind != ItemKind.SCORED or item.evidence_required for item in items
        ):
            found.append(
                _("Survey section %(code)s holds items that are not questions.")
                % {"code": section.code}
            )
    return found


def _publish(standard: Standard, actor: Any) -> None:
    Standard.objects.filter(
        district_id=standard.district_id, status=StandardStatus.PUBLISHED
    ).update(status=StandardStatus.RETIRED)
    standard.status = StandardStatus.PUBLISHED
    standard.published_at = timezone.now()
    standard.save(update_fields=["status", "published_at"])
    audit.record(
        actor=actor,
        action="ratings.standard_published",
        target=standard,
        summary=f"{standard} published; evaluations declared from now on use it",
        district_id=standard.district_id,
    )


@transaction.atomic
def publish(*, actor: Any, standard: Standard) -> Standard:
    """Put the draft in use; the version in use until now is retired (its evaluations keep it)."""
    standard = _draft(actor, standard)
    found = problems(standard)
    if found:
        raise ValidationError({"standard": found})
    _publish(standard, actor)
    return standard
