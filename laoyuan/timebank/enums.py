from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What the hours were for (the categories of the hours ledger)."""

    CLEANING = "cleaning", _("Cleaning (环境清洁)")
    GARBAGE = "garbage", _("Garbage sorting (垃圾分类)")
    PATROL = "patrol", _("Security patrol (治安巡逻)")
    ELDER = "elder", _("Elder visits (探访老人)")
    GREENING = "greening", _("Greening (绿化养护)")
    MEDIATION = "mediation", _("Neighbour mediation (邻里调解)")
    OTHER = "other", _("Other service (其他服务)")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for verification")
    SECOND = "second", _("Waiting for a second verifier")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    REVERSED = "reversed", _("Reversed after verification")


OPEN_CLAIM_STATUSES = (ClaimStatus.PENDING, ClaimStatus.SECOND)
# Claims that hold a place in an activity and a slot in the volunteer's time.
LIVE_CLAIM_STATUSES = (ClaimStatus.PENDING, ClaimStatus.SECOND, ClaimStatus.VERIFIED)


class HourAccountKind(models.TextChoices):
    """A household's hours, and the district's three system accounts the hours come from and go
    to. Sign convention as in the fee ledger: a posting is a debit when positive, so a household's
    balance is positive when it holds hours."""

    HOUSEHOLD = "household", _("Household hours")
    ISSUED = "issued", _("Hours earned by service")
    REDEEMED = "redeemed", _("Hours redeemed for fees")
    EXPIRED = "expired", _("Hours expired")


SYSTEM_ACCOUNT_KINDS = (HourAccountKind.ISSUED, HourAccountKind.REDEEMED, HourAccountKind.EXPIRED)


class HourEntryKind(models.TextChoices):
    """What an hours entry does. A reversal keeps its original's kind and points at it."""

    EARN = "earn", _("Verified service")
    DONATE = "donate", _("Donation")
    REDEEM = "redeem", _("Fee offset")
    EXPIRE = "expire", _("Expiry")


class PoolSource(models.TextChoices):
    WELFARE = "welfare", _("Community welfare funds (社区公益金)")
    SPONSOR = "sponsor", _("Merchant sponsor (商户赞助)")
    OTHER = "other", _("Other donor (其他捐赠)")


class MemberRole(models.TextChoices):
    MEMBER = "member", _("Member")
    LEADER = "leader", _("Leader (队长)")
