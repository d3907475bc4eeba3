from django_scopes import scope

from peercoach.tasking import shared_task
from peercoach.tenancy.models import Organization


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5})
def invitation_send_email(*, invitation_id, organization_id):
    """Record the email of an invitation's link in the outbox (idempotent: see
    services.invitation_email_send). Nothing queues it any more: services record the
    email in their own transaction; it stays for tasks queued before the upgrade."""
    from .models import Invitation
    from .services import invitation_email_send

    organization = Organization.objects.get(pk=organization_id)
    with scope(organization=organization):
        invitation = (
            Invitation.objects.select_related("organization", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is not None:
            invitation_email_send(invitation=invitation)
