from .models import Invitation


def invitations_for_organization(*, organization, open_only=True):
    qs = Invitation.objects.filter(organization=organization).select_related("invited_by")
    if open_only:
        qs = qs.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return qs.order_by("-created_at")
