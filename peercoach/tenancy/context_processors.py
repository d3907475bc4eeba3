from django.utils.functional import SimpleLazyObject

from .selectors import memberships_for_request


def tenancy(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organization": None, "membership": None, "my_memberships": []}
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": SimpleLazyObject(lambda: memberships_for_request(request)),
    }
