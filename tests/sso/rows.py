"""What a single sign-on may create, counted across every tenant: a refusal must leave
these numbers as they were."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django_scopes import scopes_disabled

from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership


def counts():
    with scopes_disabled():
        return {
            "users": User.objects.count(),
            "memberships": Membership.objects.count(),
            "social": SocialAccount.objects.count(),
            "addresses": EmailAddress.objects.count(),
            "accepted": Invitation.objects.filter(accepted_at__isnull=False).count(),
        }
