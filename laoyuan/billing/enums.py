from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemeBasis(models.TextChoices):
    PER_AREA = "per_area", _("Per area (元/m²/月)")
    PER_HOUSEHOLD = "per_household", _("Per household (元/户/年)")


class SchemeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, awaiting co-signature")
    COSIGNED = "cosigned", _("Co-signed, not yet posted")
    POSTED = "posted", _("Posted (公示)")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccountKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household fee account")
    INCOME = "income", _("Company fee income")
    CASH = "cash", _("Cash clearing")
    BANK = "bank", _("Bank clearing")
    POS = "pos", _("POS clearing")
    ONLINE = "online", _("Online clearing")
    OPENING = "opening", _("Inherited arrears (opening balances)")
    OVER_SHORT = "over_short", _("Cash over and short")
    SUBSIDY_FUND = "subsidy_fund", _("Subsidy fund")
    TIMEBANK_FUND = "timebank_fund", _("Time-bank offset fund")
    SPONSOR = "sponsor", _("Sponsor")
    BUDGET = "budget", _("District budget (财政拨款)")
    SUBSIDY_INCOME = "subsidy_income", _("Subsidy income")
    COMMITTEE = "committee", _("Committee account (业委会/自管会)")
    LONGTERM_FUND = "longterm_fund", _("Long-term management fund (长效物业管理基金)")


# Accounts a company holds one of each.
COMPANY_ACCOUNT_KINDS = frozenset(
    {
        AccountKind.INCOME,
        AccountKind.CASH,
        AccountKind.BANK,
        AccountKind.POS,
        AccountKind.ONLINE,
        AccountKind.OPENING,
        AccountKind.OVER_SHORT,
        AccountKind.SUBSIDY_INCOME,
    }
)
# Accounts a district holds one of each: the subsidy fund, and the budget it and the compounds'
# long-term funds are paid in from.
DISTRICT_ACCOUNT_KINDS = frozenset({AccountKind.SUBSIDY_FUND, AccountKind.BUDGET})
# Accounts a compound holds one of each: its committee's (an owner-managed compound's subsidy is
# paid there) and its long-term management fund.
COMPOUND_ACCOUNT_KINDS = frozenset({AccountKind.COMMITTEE, AccountKind.LONGTERM_FUND})
# A time-bank pool (named: a community's welfare money, a merchant's sponsorship) holds two
# accounts: its fund, credited by contributions and debited by the discounts it pays, and its
# source, debited by what the funder put in. The fund's credit balance is what is left to grant.
POOL_ACCOUNT_KINDS = frozenset({AccountKind.TIMEBANK_FUND, AccountKind.SPONSOR})


class Channel(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")
    POS = "pos", _("POS card")
    ONLINE = "online", _("Online")


# A time-bank redemption is recorded as a payment of this channel so that it has a numbered
# receipt and pays the oldest bills first; it is funded by a time-bank pool, never money taken, so
# it is not one of the ``Channel`` values a cashier counts, a form offers or the API accepts.
TIMEBANK_CHANNEL = "timebank"
PAYMENT_CHANNEL_CHOICES = [*Channel.choices, (TIMEBANK_CHANNEL, _("Time-bank discount"))]

# The clearing account each payment channel lands in.
CHANNEL_ACCOUNT = {
    Channel.CASH: AccountKind.CASH,
    Channel.BANK: AccountKind.BANK,
    Channel.POS: AccountKind.POS,
    Channel.ONLINE: AccountKind.ONLINE,
}


class EntryKind(models.TextChoices):
    """What an entry does. A reversal keeps the kind of the entry it cancels (and points at it
    through ``reverses``), so a bill's charged amount is the sum of its charge-kind postings."""

    CHARGE = "charge", _("Charge")
    PAYMENT = "payment", _("Payment")
    ALLOCATION = "allocation", _("Allocation of credit")
    REFUND = "refund", _("Refund")
    OPENING = "opening", _("Opening balance")
    DISCOUNT = "discount", _("Funded discount")
    DIFFERENCE = "difference", _("Cash count difference")
    FUNDING = "funding", _("Fund contribution")
    SUBSIDY = "subsidy", _("Star-rating subsidy")
    PROFIT_RETURN = "surplus", _("Profit return (利润返还)")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OnlineOrderStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
