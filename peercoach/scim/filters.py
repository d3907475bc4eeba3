"""Filters (`GET /Users?filter=...`) on the organisation's SCIM resources; apart from
adapters.py, which django-scim2 imports while it reads this module's class."""

from django.db.models.expressions import RawSQL
from django_scim.filters import FilterQuery

from .models import ScimUser

# (attribute, sub-attribute, schema) -> column, for filters and PATCH paths alike.
ATTR_MAP = {
    ("userName", None, None): "scim_scimuser.user_name",
    ("externalId", None, None): "scim_scimuser.external_id",
    ("name", "givenName", None): "scim_scimuser.given_name",
    ("name", "familyName", None): "scim_scimuser.family_name",
}
# PATCH may name these as a whole too; they are not filterable.
PATCH_ONLY = {
    ("name", None, None),
    ("emails", None, None),
    ("emails", "value", None),
    ("emails", "type", None),
    ("emails", "primary", None),
    ("active", None, None),
}
PATCH_MAP = {**ATTR_MAP, **dict.fromkeys(PATCH_ONLY, "")}


class ScimUserFilter(FilterQuery):
    """`filter=` on the organisation's resources. scim2-filter-parser turns the filter into
    SQL over the resource table; it is used as a sub-query of the organisation's scoped
    queryset, so no filter (an `or` included) reaches another organisation's rows."""

    attr_map = ATTR_MAP

    @classmethod
    def search(cls, filter_query, request=None):
        query = cls.query_class(filter_query, "scim_scimuser", cls.attr_map, cls.joins)
        queryset = ScimUser.objects.filter(organization=request.scim_organization)
        if query.where_sql is None:
            return queryset.none()
        # The parser's own SELECT of whole rows, narrowed to the ids.
        sql = (
            query.sql.strip()
            .rstrip(";")
            .replace("SELECT DISTINCT scim_scimuser.*", "SELECT scim_scimuser.id", 1)
        )
        # The parser writes only columns of ATTR_MAP; every value is a parameter.
        subquery = RawSQL(sql, query.params)  # noqa: S611
        return queryset.filter(pk__in=subquery).select_related("user")
