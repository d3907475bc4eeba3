from django.utils.functional import SimpleLazyObject

from .selectors import memberships_for_request


def tenancy(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "organization": None,
            "membership": None,
            "my_memberships": [],
            "my_memberships_key": (),
        }
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": SimpleLazyObject(lambda: memberships_for_request(request)),
        # What the organisation switcher shows, as a cache key: other organisations' names
        # are not under this organisation's version stamp.
        "my_memberships_key": SimpleLazyObject(
            lambda: tuple(
                (m.organization_id, m.organization.slug, m.organization.name, m.role)
                for m in memberships_for_request(request)
            )
        ),
    }
