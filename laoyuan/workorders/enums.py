from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    ORDERED = "ordered", _("Ordered (业主点单)")
    DISPATCHED = "dispatched", _("Dispatched (支部派单)")
    RETURNED = "returned", _("Returned to the branch")
    ACCEPTED = "accepted", _("Accepted (物业接单)")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done, awaiting supervision")
    SUPERVISED = "supervised", _("Supervised (业委会督单)")
    VERIFIED = "verified", _("Verified (社区验单)")
    RATED = "rated", _("Rated")
    CLOSED = "closed", _("Closed")
    DUPLICATE = "duplicate", _("Duplicate")
    NOT_OURS = "not_ours", _("Not ours")
    CANCELLED = "cancelled", _("Cancelled")


# Orders that need no more work.
FINAL = frozenset({Status.CLOSED, Status.DUPLICATE, Status.NOT_OURS, Status.CANCELLED})
# Orders still waiting for a company to accept them (the response target runs).
AWAITING_RESPONSE = frozenset({Status.ORDERED, Status.DISPATCHED, Status.RETURNED})
# Orders not yet verified (the resolution target runs).
UNRESOLVED = frozenset(
    {
        Status.ORDERED,
        Status.DISPATCHED,
        Status.RETURNED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.DONE,
        Status.SUPERVISED,
    }
)
# Open311 maps every internal state to open or closed.
OPEN311_CLOSED = FINAL | {Status.VERIFIED, Status.RATED}


class Action(models.TextChoices):
    CREATE = "create", _("Reported")
    DISPATCH = "dispatch", _("Dispatch")
    ACCEPT = "accept", _("Accept")
    START = "start", _("Start work")
    FINISH = "finish", _("Finish")
    SUPERVISE = "supervise", _("Pass supervision")
    SEND_BACK = "send_back", _("Send back")
    VERIFY = "verify", _("Verify")
    RATE = "rate", pgettext_lazy("work order", "Rate")
    CLOSE = "close", _("Close")
    RETURN = "return", _("Return to the branch")
    TRANSFER = "transfer", _("Transfer")
    MARK_DUPLICATE = "mark_duplicate", _("Mark as duplicate")
    NOT_OURS = "not_ours", _("Not ours")
    CANCEL = "cancel", pgettext_lazy("work order", "Cancel")
    REOPEN = "reopen", _("Reopen")
    ESCALATE = "escalate", _("Escalated")
    AUTO_CLOSE = "auto_close", _("Closed automatically")


class Channel(models.TextChoices):
    APP = "app", _("Resident app")
    PHONE = "phone", _("Phone")
    SERVICE_CENTRE = "service_centre", _("Service centre")
    GRID = "grid", _("Grid report")
    CONSULTATION = "consultation", _("Consultation problem list")
    OPEN311 = "open311", _("City platform (Open311)")


class CategoryKind(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment & cleaning")
    PARKING = "parking", _("Parking order")
    SECURITY = "security", _("Security")
    REPAIR = "repair", _("Repair")
    EMERGENCY = "emergency", _("Emergency repair")
    COMPLAINT = "complaint", _("Complaint & mediation")
    OTHER = "other", _("Other")


class TeamKind(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency repair station (应急维修服务站)")
    MEDIATION = "mediation", _("Mediation station (矛盾投诉调解站)")
    VOLUNTEER = "volunteer", _("Volunteer team")
    WORKS = "works", _("Works team")


# Escalation levels: who an overdue order is raised to.
class Escalation(models.IntegerChoices):
    NONE = 0, _("Branch")
    COMMUNITY = 1, _("Community")
    STREET = 2, _("Street")
