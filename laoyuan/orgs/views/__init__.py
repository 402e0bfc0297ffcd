"""Pages of the organisations: property companies, committees, the party structure, agency
branches and their cadres.

Reading: the roles of ``orgs.queries.READ_ROLES``, each seeing what ``accounts.scoping`` gives
them. Managing: the district, street and community offices over their own places
(``orgs.queries.Authority``). A body outside either answers 404, and so does every page to a
user with no business here; the services check permission again.

One module per topic (``companies``, ``committees``, ``posts``, ``party_orgs``, ``agency``; the
shared helpers in ``_common``); ``orgs.urls`` takes the views from here.
"""

from laoyuan.orgs.views._common import PAGE_SIZE, XLSX
from laoyuan.orgs.views.agency import agency_branch_create, cadre_assign, cadre_end, cadres
from laoyuan.orgs.views.committees import (
    committee_create,
    committee_detail,
    committee_edit,
    committee_export,
    committee_list,
    committee_member_add,
)
from laoyuan.orgs.views.companies import (
    company_create,
    company_detail,
    company_edit,
    company_export,
    company_list,
    company_post_add,
)
from laoyuan.orgs.views.party_orgs import party, party_create, party_post_add
from laoyuan.orgs.views.posts import post_end

__all__ = [
    "PAGE_SIZE",
    "XLSX",
    "agency_branch_create",
    "cadre_assign",
    "cadre_end",
    "cadres",
    "committee_create",
    "committee_detail",
    "committee_edit",
    "committee_export",
    "committee_list",
    "committee_member_add",
    "company_create",
    "company_detail",
    "company_edit",
    "company_export",
    "company_list",
    "company_post_add",
    "party",
    "party_create",
    "party_post_add",
    "post_end",
]
