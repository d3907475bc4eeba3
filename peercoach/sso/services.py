"""Who comes in through single sign-on, and who must use it (sso-contract "rules of sign-in").

`sso_decide` reads and decides; it writes nothing, so a refusal leaves no row behind.
`sso_admit` carries out an admitting decision in one transaction (account, membership,
invitation accepted, audit row). `sso_refusal_record` writes the audit row of a refusal.
The password side (`sso_password_refusal`), the gate (`sso_requirement`) and the coordinator
two-factor rule (`sso_mfa_satisfies`) read the same rows.
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import Invitation, User
from peercoach.accounts.services import account_create_vouched, invitation_accept
from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.models import Membership

from .selectors import confirmed_domain_owner, email_domain, sso_password_refused_organizations


class Outcome:
    SIGN_IN = "sign_in"  # existing member
    ACCEPT = "accept"  # existing account, open invitation in the organisation
    JOIN = "join"  # existing account joins as participant (allow_join + confirmed domain)
    CREATE_INVITED = "create_invited"  # new account from an open invitation
    CREATE_JOIN = "create_join"  # new account + participant (allow_join)
    REFUSED = "refused"

    ADMITTING = (SIGN_IN, ACCEPT, JOIN, CREATE_INVITED, CREATE_JOIN)


class Reason:
    """Why a sign-in was refused: the short code in the audit summary."""

    NO_PROVIDER = "no provider"
    NO_EMAIL = "no email"
    OTHER_TENANT = "address of another organisation"
    NOT_MEMBER = "not a member"
    INACTIVE = "account closed"
    PROTOCOL = "provider answer refused"
    PASSWORD = "password refused: single sign-on required"  # noqa: S105 - an audit reason


@dataclass(frozen=True)
class SsoDecision:
    outcome: str
    organization: object
    email: str
    user: User | None = None
    invitation: Invitation | None = None
    reason: str = ""  # a Reason, for the audit log
    message: str = ""  # what the refusal page tells the person
    extra: dict = field(default_factory=dict)

    @property
    def refused(self):
        return self.outcome == Outcome.REFUSED


def _open_invitation(*, organization, email):
    return (
        Invitation.objects.filter(
            organization=organization,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def _refused(organization, email, reason, message, user=None):
    return SsoDecision(
        outcome=Outcome.REFUSED,
        organization=organization,
        email=email,
        user=user,
        reason=reason,
        message=message,
    )


def sso_decide(*, identity_provider, email, user=None):
    """What to do with a person `identity_provider` (of organisation O) vouched for.

    `email` is the address the provider asserted; `user` the account already linked to this
    provider's identity (allauth's SocialAccount), else the account is looked up by `email`.
    Reads only (a handful of queries); never writes. The rules, in order:
    no email → refused; the address's domain confirmed for another organisation → refused;
    a closed account (inactive or deleted) → refused; an existing account that is a member of
    O → SIGN_IN; with an open invitation in O → ACCEPT; with O.allow_join and the domain
    confirmed for O → JOIN; else refused. No account: an open invitation → CREATE_INVITED;
    O.allow_join and the domain confirmed for O → CREATE_JOIN; else refused.
    """
    organization = identity_provider.organization
    email = (email or "").strip().lower()
    if not email or not email_domain(email):
        return _refused(
            organization,
            email,
            Reason.NO_EMAIL,
            _(
                "The sign-in service of %(org)s did not tell us your email address. Ask its "
                "IT department to release the email attribute to peercoach."
            )
            % {"org": organization.name},
        )
    owner = confirmed_domain_owner(domain=email_domain(email))
    if owner is not None and owner.pk != organization.pk:
        return _refused(
            organization,
            email,
            Reason.OTHER_TENANT,
            _(
                "The address %(email)s belongs to another organisation. Sign in from the "
                "sign-in page with that address, or ask %(org)s's coordinators."
            )
            % {"email": email, "org": organization.name},
        )
    with scopes_disabled():
        if user is None:
            user = User.objects.filter(email__iexact=email).first()
        if user is not None and (not user.is_active or user.deleted_at is not None):
            return _refused(
                organization,
                email,
                Reason.INACTIVE,
                _("The account of %(email)s is closed. Ask %(org)s's coordinators for help.")
                % {"email": email, "org": organization.name},
                user=user,
            )
    with scope(organization=organization):
        if user is not None:
            if Membership.objects.filter(organization=organization, user=user).exists():
                return SsoDecision(Outcome.SIGN_IN, organization, email, user=user)
            invitation = _open_invitation(organization=organization, email=user.email)
            if invitation is not None:
                return SsoDecision(
                    Outcome.ACCEPT, organization, email, user=user, invitation=invitation
                )
            if identity_provider.allow_join and owner is not None:
                return SsoDecision(Outcome.JOIN, organization, email, user=user)
        else:
            invitation = _open_invitation(organization=organization, email=email)
            if invitation is not None:
                return SsoDecision(
                    Outcome.CREATE_INVITED, organization, email, invitation=invitation
                )
            # Only for an address of a domain confirmed for O: otherwise O's provider could
            # mint an account for any address (a gmail one, say), which a later invitation
            # elsewhere would then let O's provider reach.
            if identity_provider.allow_join and owner is not None:
                return SsoDecision(Outcome.CREATE_JOIN, organization, email)
    return _refused(
        organization,
        email,
        Reason.NOT_MEMBER,
        _(
            "%(email)s is not a member of %(org)s. Ask its coordinators for an invitation, "
            "then sign in again."
        )
        % {"email": email, "org": organization.name},
        user=user,
    )


def sso_refusal_record(*, organization, reason, email="", detail=""):
    """The audit row of a refused sign-in in `organization` (reason and address, never a
    secret or the provider's raw answer). Returns it."""
    summary = reason if not email else f"{reason}: {email}"
    if detail:
        summary = f"{summary} ({detail})"
    with scope(organization=organization):
        return audit_record(organization=organization, action=Action.SSO_REFUSED, summary=summary)


def _verified_address(user, email):
    """`email` verified (and primary when the person has no other primary) for `user`."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(
            user=user,
            email=email,
            verified=True,
            primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


@transaction.atomic
def sso_admit(*, decision, first_name="", last_name="", protocol=""):
    """Carry out an admitting `decision` in one transaction: create the account (no usable
    password, its address verified), accept the invitation or add the participant
    membership, and write the audit row (SSO_SIGN_IN for a member, SSO_JOINED otherwise).
    Returns the account. Raises ValueError for a refusal (decide first)."""
    if decision.outcome not in Outcome.ADMITTING:
        raise ValueError("sso_admit takes an admitting decision only.")
    organization = decision.organization
    user = decision.user
    first_name, last_name = (first_name or "")[:150], (last_name or "")[:150]
    with scopes_disabled():
        if decision.outcome == Outcome.CREATE_INVITED:
            # The invitation service creates the account (password None = unusable) with
            # the invited address verified, and accepts, all under its row lock.
            user = invitation_accept(
                invitation=decision.invitation, first_name=first_name, last_name=last_name
            )
        elif decision.outcome == Outcome.ACCEPT:
            user = invitation_accept(invitation=decision.invitation, user=user)
        elif decision.outcome == Outcome.CREATE_JOIN:
            user = account_create_vouched(
                email=decision.email, first_name=first_name, last_name=last_name
            )
        _verified_address(user, user.email)
    with scope(organization=organization):
        if decision.outcome in (Outcome.CREATE_JOIN, Outcome.JOIN):
            # get_or_create, not membership_add: a membership made meanwhile keeps its role.
            Membership.objects.get_or_create(
                organization=organization, user=user, defaults={"role": Membership.Role.PARTICIPANT}
            )
        via = f" through {protocol}" if protocol else ""
        audit_record(
            organization=organization,
            action=Action.SSO_SIGN_IN if decision.outcome == Outcome.SIGN_IN else Action.SSO_JOINED,
            actor=user,
            summary=f"{decision.email}{via}",
        )
    return user


# --- Mandatory single sign-on -------------------------------------------------------------


def sso_password_refusal_record(*, user, organizations):
    """Audit a refused password sign-in in each organisation that requires single sign-on."""
    for organization in organizations:
        sso_refusal_record(organization=organization, reason=Reason.PASSWORD, email=user.email)


def sso_password_refusal(*, request, user):
    """Hook `sign_in_other_than_sso`: the refusal page (403) when every membership of
    `user` requires single sign-on, naming each organisation with a link to its
    `/o/<slug>/sso/`; audited in each. None (go on) otherwise and for operators."""
    organizations = sso_password_refused_organizations(user=user)
    if not organizations:
        return None
    from .views import refused_response

    sso_password_refusal_record(user=user, organizations=organizations)
    names = ", ".join(org.name for org in organizations)
    return refused_response(
        request,
        organization=None,
        message=_(
            "%(orgs)s require(s) you to sign in through your organisation's sign-in service; "
            "your password is not accepted here. Use the link below."
        )
        % {"orgs": names},
        organizations=organizations,
    )
