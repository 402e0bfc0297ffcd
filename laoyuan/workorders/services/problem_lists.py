"""A consultation meeting's problem list (问题清单) becomes orders in one step.

``create_from_problem_list`` checks every item first (category code, description, place, house)
and then, in one transaction, creates the list and one order per item through ``create_order``
(channel consultation, linked to the list). Any bad item means nothing is written: the error
names each bad item's row and column ("row 3, category: unknown service code").
"""

import datetime
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scoped
from laoyuan.core import audit
from laoyuan.places.models import Compound, House
from laoyuan.workorders.enums import Channel
from laoyuan.workorders.models import Category, ProblemList
from laoyuan.workorders.services.orders import MAX_DESCRIPTION, create_order
from laoyuan.workorders.services.transitions import Forbidden

# Who holds consultation meetings and turns their lists into orders.
PROBLEM_LIST_ROLES = frozenset({Role.BRANCH, Role.COMMUNITY, Role.STREET, Role.COMMITTEE})
MAX_ITEMS = 300
MAX_PLACE = 200
MAX_TITLE = 200

# The item fields and how errors name them when the caller gives no column names.
ITEM_FIELDS: dict[str, Any] = {
    "category": gettext_lazy("category"),
    "description": gettext_lazy("description"),
    "place": gettext_lazy("place"),
    "house": gettext_lazy("house"),
}


@dataclass(frozen=True)
class ItemError:
    """One bad cell: the item's row as the reader sees it, the column's name, the reason."""

    row: int
    field: str
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ProblemListInvalid(ValidationError):
    """The meeting or some items are wrong; nothing was written. ``items`` lists the bad cells
    in row order; ``message_dict`` carries the meeting's field errors and the item lines under
    ``items``."""

    def __init__(self, fields: dict[str, list[str]], items: list[ItemError]) -> None:
        self.items = items
        messages: dict[str, list[str]] = dict(fields)
        if items:
            messages["items"] = [str(error) for error in items]
        super().__init__(messages)


def acting_role(actor: Any, compound: Compound) -> str | None:
    """The role in which ``actor`` may enter a problem list for ``compound``, if any."""
    for role in sorted(PROBLEM_LIST_ROLES):
        if scoped(Compound.objects.filter(pk=compound.pk), actor, {role}).exists():
            return role
    return None


def _house_key(text: str) -> str:
    """A house number as compared: full-width folded, spaces removed, case ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _houses(compound: Compound) -> tuple[dict[str, House], dict[str, list[House]]]:
    """The compound's houses by full number (building-unit-room) and by room alone."""
    by_label: dict[str, House] = {}
    by_room: dict[str, list[House]] = {}
    for house in House.objects.filter(compound=compound).select_related("building"):
        by_label[_house_key(house.label)] = house
        by_room.setdefault(_house_key(house.room), []).append(house)
    return by_label, by_room


def create_from_problem_list(
    *,
    actor: Any,
    compound: Compound,
    title: str,
    held_on: datetime.date | None,
    items: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str] | None = None,
    now: datetime.datetime | None = None,
) -> ProblemList:
    """Create the list and one order per item, all or nothing.

    Each item is a mapping with ``category`` (a service code or a Category), ``description``,
    optional ``place`` and ``house`` (a house of the compound: a House, or its number
    building-unit-room, or its room when only one house has it) and ``row`` (how the reader
    numbers it; the item's position from 1 when absent). ``columns`` names the fields as the
    reader's sheet or form does. Raises ``Forbidden`` when the actor holds none of the
    problem-list roles over the compound (pages answer 404), ``ProblemListInvalid`` otherwise.
    """
    role = acting_role(actor, compound)
    if role is None:
        raise Forbidden(_("You may not enter problem lists for this compound."))
    names = {
        key: str(columns.get(key) or label) if columns else str(label)
        for key, label in ITEM_FIELDS.items()
    }

    fields: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        fields["title"] = [_("Name the meeting.")]
    elif len(title) > MAX_TITLE:
        fields["title"] = [_("At most %(max)s characters.") % {"max": MAX_TITLE}]
    if held_on is None:
        fields["held_on"] = [_("Give the meeting's date.")]
    elif held_on > timezone.localdate(now):
        fields["held_on"] = [_("The meeting's date cannot be in the future.")]
    if not items:
        fields["items"] = [_("Add at least one problem.")]
    elif len(items) > MAX_ITEMS:
        fields["items"] = [_("At most %(max)s problems per list.") % {"max": MAX_ITEMS}]

    errors: list[ItemError] = []
    categories = {category.code: category for category in Category.objects.all()}
    by_label, by_room = _houses(compound)
    resolved: list[dict[str, Any]] = []
    for position, item in enumerate(items[:MAX_ITEMS], start=1):
        row = int(item.get("row") or position)

        def bad(key: str, message: str, row: int = row) -> None:
            errors.append(ItemError(row=row, field=key, column=names[key], message=message))

        raw_category = item.get("category")
        category: Category | None = None
        if isinstance(raw_category, Category):
            category = raw_category
        else:
            code = "".join(unicodedata.normalize("NFKC", str(raw_category or "")).split()).lower()
            if not code:
                bad("category", _("Required."))
            else:
                category = categories.get(code)
                if category is None:
                    bad("category", _("unknown service code “%(code)s”.") % {"code": code})
        if category is not None and not category.active:
            bad("category", _("This category is no longer offered."))
        description = str(item.get("description") or "").strip()
        if not description:
            bad("description", _("Required."))
        elif len(description) > MAX_DESCRIPTION:
            bad("description", _("At most %(max)s characters.") % {"max": MAX_DESCRIPTION})
        place = " ".join(str(item.get("place") or "").split())
        if len(place) > MAX_PLACE:
            bad("place", _("At most %(max)s characters.") % {"max": MAX_PLACE})
        raw_house = item.get("house")
        house: House | None = None
        if isinstance(raw_house, House):
            house = raw_house
            if house.compound_id != compound.pk:
                bad("house", _("This house is not in the compound."))
        elif raw_house not in (None, ""):
            key = _house_key(str(raw_house))
            house = by_label.get(key)
            if house is None:
                rooms = by_room.get(key, [])
                if len(rooms) == 1:
                    house = rooms[0]
                elif rooms:
                    bad(
                        "house",
                        _("Several houses have room %(room)s; write building-unit-room.")
                        % {"room": raw_house},
                    )
                else:
                    bad(
                        "house",
                        _("The compound has no house %(house)s (write building-unit-room).")
                        % {"house": raw_house},
                    )
        resolved.append(
            {
                "row": row,
                "category": category,
                "description": description,
                "place": place,
                "house": house,
            }
        )
    if fields or errors:
        raise ProblemListInvalid(fields, sorted(errors, key=lambda e: e.row))
    assert held_on is not None

    with transaction.atomic():
        problem_list = ProblemList.objects.create(
            compound=compound,
            district_id=compound.district_id,
            street_id=compound.street_id,
            title=title,
            held_on=held_on,
            created_by=actor,
        )
        for item in resolved:
            try:
                create_order(
                    actor=actor,
                    compound=compound,
                    category=item["category"],
                    description=item["description"],
                    place=item["place"],
                    house=item["house"],
                    channel=Channel.CONSULTATION,
                    problem_list=problem_list,
                    now=now,
                )
            except ValidationError as exc:
                # Roll the whole list back and name the row.
                found = [
                    ItemError(
                        row=item["row"],
                        field=key if key in names else "description",
                        column=names.get(key, names["description"]),
                        message=" ".join(messages),
                    )
                    for key, messages in exc.message_dict.items()
                ]
                raise ProblemListInvalid({}, found) from exc
        audit.record(
            actor=actor,
            action="workorder.problem_list",
            target=problem_list,
            summary=_("Problem list “%(title)s”: %(count)s orders")
            % {
                "title": title,
                "count": len(resolved),
            },
            changes={"compound": compound.pk, "orders": len(resolved), "role": role},
            district_id=compound.district_id,
            street_id=compound.street_id,
        )
    return problem_list
