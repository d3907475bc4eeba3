"""Who may reach a tenant page, by role.

`TenantMiddleware` has already answered 404 to anyone who is not a member of the
organisation in the URL; these decorators sort the members."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def coordinator_required(view):
    """Only the organisation's coordinators; others inside the tenant get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.membership is None or not request.membership.is_coordinator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
