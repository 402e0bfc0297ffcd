"""Writes to the organisations: property companies, committees and their members, the five-level
party structure and its posts, agency branches and the cadres they sink into grids.

Every function takes an explicit ``actor``, runs in one transaction, locks what it changes and
writes one audit event (with the district and street it belongs to) per change. Who may do what
is ``orgs.queries.Authority``: a body outside the actor's offices raises ``PermissionDenied``
(pages answer 404), checked before anything else; bad input raises ``ValidationError`` keyed by
field, and then nothing is written.

One module per topic (``companies``, ``committees``, ``posts``, ``party_orgs``, ``agency``; the
shared checks in ``_common``); callers import the functions from here.
"""

from laoyuan.orgs.services._common import Errors, NewPerson
from laoyuan.orgs.services.agency import agency_branch_create, cadre_assign, cadre_end
from laoyuan.orgs.services.committees import committee_create, committee_update
from laoyuan.orgs.services.companies import SERVICE_PHONE_RE, company_create, company_update
from laoyuan.orgs.services.party_orgs import PLACE_FIELDS, party_org_create
from laoyuan.orgs.services.posts import committee_member_add, post_add, post_end

__all__ = [
    "PLACE_FIELDS",
    "SERVICE_PHONE_RE",
    "Errors",
    "NewPerson",
    "agency_branch_create",
    "cadre_assign",
    "cadre_end",
    "committee_create",
    "committee_member_add",
    "committee_update",
    "company_create",
    "company_update",
    "party_org_create",
    "post_add",
    "post_end",
]
