"""Writes for people and invitations.

Every service takes keyword arguments, runs in one transaction where it writes
more than one row, and raises `InvitationError` (a ValidationError) with a
message fit to show the user when the request cannot be honoured.
"""

from datetime import timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.languages import override_for
from peercoach.tenancy.models import Membership
from peercoach.web.csvio import (
    CsvImportError,
    CsvRowError,
    csv_column_names,
    csv_email_problem,
    csv_fold,
    csv_read_table,
    csv_titles,
)

from .models import Invitation, User, new_nonce
from .personal_data import archive_write, personal_data_modules

TOKEN_SALT = "peercoach.invitation"  # noqa: S105 - a signing salt, not a secret


class InvitationError(ValidationError):
    pass


def _normalise_email(email):
    return (email or "").strip().lower()


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


def _check_invitable(*, organization, email):
    """Raise InvitationError when `email` is already a member or already invited."""
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise InvitationError(_("%(email)s is already a member.") % {"email": email})
    if Invitation.objects.filter(
        organization=organization,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).exists():
        raise InvitationError(
            _("%(email)s already has an open invitation; resend it from the people page.")
            % {"email": email}
        )


def _queue_invitation_email(invitation):
    invitation_email_send(invitation=invitation)


def invitation_create(*, organization, email, role, invited_by, first_name="", last_name=""):
    """Create an invitation and email it after commit.

    Raises InvitationError when the address is invalid, already a member, or already
    has an open invitation (the partial unique constraint also guards races).
    """
    email = _normalise_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvitationError(_("Enter a valid email address.")) from None
    if role not in Membership.Role.values:
        raise InvitationError(_("Choose a role: coordinator or participant."))
    with transaction.atomic():
        _check_invitable(organization=organization, email=email)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organization=organization,
                    email=email,
                    role=role,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    invited_by=invited_by,
                    expires_at=_expiry(),
                )
        except IntegrityError:
            raise InvitationError(
                _("%(email)s already has an open invitation.") % {"email": email}
            ) from None
        _queue_invitation_email(invitation)
        audit_record(
            organization=organization,
            action=Action.INVITATION_SENT,
            actor=invited_by,
            target=invitation,
            summary=f"{email} as {invitation.get_role_display()}",
        )
    return invitation


# The invitations file's columns: (code, title). A header may name them in any configured
# language or by the code (what the example file and older files use).
CSV_COLUMNS = (
    ("email", gettext_lazy("Email")),
    ("role", gettext_lazy("Role")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
)


def _read_csv_rows(data):
    """(header as column codes, "" for an empty cell; rows)."""
    cells, rows = csv_read_table(data)
    names = csv_column_names(CSV_COLUMNS)
    header = [names.get(csv_fold(cell), "") for cell in cells]
    if "email" not in header:
        raise CsvImportError(
            [CsvRowError(1, _("The first line must name the columns and include “email”."))]
        )
    unknown = [cell for cell in cells if cell and csv_fold(cell) not in names]
    if unknown:
        raise CsvImportError(
            [
                CsvRowError(
                    1,
                    _("Unknown column(s): %(cols)s. Allowed: %(allowed)s.")
                    % {"cols": ", ".join(unknown), "allowed": ", ".join(csv_titles(CSV_COLUMNS))},
                )
            ]
        )
    return header, rows


def invitations_import_csv(*, organization, data, invited_by):
    """Validate every row first, then create all invitations, or none.

    `data` is the uploaded file's bytes (or text). Columns: email (required), role
    (coordinator or participant; participant when empty), first_name, last_name; each
    named by that code or its title in any configured language ("Correo electrónico").
    Raises CsvImportError listing each bad row with its line number (the header is
    line 1); nothing is written in that case. Returns the created invitations.
    """
    header, rows = _read_csv_rows(data)
    if len(rows) > settings.INVITATION_CSV_MAX_ROWS:
        raise CsvImportError(
            [
                CsvRowError(
                    0,
                    _("At most %(n)d rows per upload; split the file.")
                    % {"n": settings.INVITATION_CSV_MAX_ROWS},
                )
            ]
        )
    errors, parsed, seen = [], [], {}
    members = set(
        Membership.objects.filter(organization=organization).values_list("user__email", flat=True)
    )
    members = {m.lower() for m in members}
    open_invites = {
        e.lower()
        for e in Invitation.objects.filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
        ).values_list("email", flat=True)
    }
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append(CsvRowError(line, _("More cells than columns.")))
            continue
        record = dict(zip(header, (cell.strip() for cell in row), strict=False))
        email = _normalise_email(record.get("email"))
        role = (record.get("role") or Membership.Role.PARTICIPANT).lower()
        problem = csv_email_problem(email, line=line, seen=seen)
        if problem:
            errors.append(CsvRowError(line, problem))
            continue
        if role not in Membership.Role.values:
            errors.append(
                CsvRowError(
                    line,
                    _("Role “%(role)s” is not coordinator or participant.") % {"role": role},
                )
            )
            continue
        if email in members:
            errors.append(CsvRowError(line, _("%(email)s is already a member.") % {"email": email}))
            continue
        if email in open_invites:
            errors.append(
                CsvRowError(line, _("%(email)s already has an open invitation.") % {"email": email})
            )
            continue
        parsed.append(
            Invitation(
                organization=organization,
                email=email,
                role=role,
                first_name=record.get("first_name", "")[:150],
                last_name=record.get("last_name", "")[:150],
                invited_by=invited_by,
                expires_at=_expiry(),
                nonce=new_nonce(),
            )
        )
    if errors:
        raise CsvImportError(errors)
    if not parsed:
        raise CsvImportError([CsvRowError(0, _("The file has no rows below the header."))])
    try:
        with transaction.atomic():
            # PostgreSQL and SQLite (3.35+) return the new ids from a bulk insert.
            created = Invitation.objects.bulk_create(parsed)
            for invitation in created:
                _queue_invitation_email(invitation)
            audit_record(
                organization=organization,
                action=Action.INVITATION_SENT,
                actor=invited_by,
                summary=f"{len(created)} invitations from a CSV file",
            )
    except IntegrityError:
        raise CsvImportError(
            [CsvRowError(0, _("Someone invited one of these people meanwhile; upload again."))]
        ) from None
    return created


def invitation_resend(*, invitation):
    """Give the invitation a fresh link and expiry and email it again (old links stop working)."""
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError(_("This invitation is closed."))
    invitation.nonce = new_nonce()
    invitation.expires_at = _expiry()
    invitation.save(update_fields=["nonce", "expires_at"])
    _queue_invitation_email(invitation)


def coordinator_invitations_resend(*, organization, email=None):
    """Resend (`invitation_resend`) every open coordinator invitation of `organization`,
    only `email`'s when given; returns them, oldest first ([] when none is open). For the
    operator: `org_create --resend` and the admin. One transaction; emails after commit."""
    with transaction.atomic(), scope(organization=organization):
        invitations = Invitation.objects.filter(
            organization=organization,
            role=Membership.Role.COORDINATOR,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        if email:
            invitations = invitations.filter(email__iexact=email.strip())
        invitations = list(invitations.select_for_update().order_by("created_at", "id"))
        for invitation in invitations:
            invitation_resend(invitation=invitation)
    return invitations


def invitation_revoke(*, invitation):
    """Close an open invitation so its link no longer works. Idempotent."""
    if invitation.accepted_at:
        raise InvitationError(_("This invitation was already accepted."))
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def invitation_token(*, invitation):
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT)


def invitation_url(*, invitation):
    path = reverse(
        "accounts:invitation_accept", kwargs={"token": invitation_token(invitation=invitation)}
    )
    return f"{settings.SITE_URL}{path}"


def invitation_from_token(*, token):
    """The open invitation a link points to, or raise InvitationError saying why not."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise InvitationError(_("This invitation link is not valid.")) from None
    with scopes_disabled():  # the signed link is the key; the tenant follows from it
        invitation = (
            Invitation.objects.select_related("organization").filter(pk=payload.get("i")).first()
        )
    if invitation is None or not signing.constant_time_compare(
        invitation.nonce, payload.get("n", "")
    ):
        raise InvitationError(
            _("This invitation link has been replaced or withdrawn. Ask for a new one.")
        )
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        raise InvitationError(_("This invitation was already accepted. Sign in to continue."))
    if status == Invitation.Status.REVOKED:
        raise InvitationError(_("This invitation was withdrawn."))
    if status == Invitation.Status.EXPIRED:
        raise InvitationError(
            _("This invitation expired. Ask %(org)s for a new one.")
            % {"org": invitation.organization.name}
        )
    return invitation


def invitation_accept(*, invitation, user=None, first_name="", last_name="", password=None):
    """Accept: join the organisation as `user`, or create the account first.

    With `user` None a new account is created with the invited address, already
    verified (opening the emailed link proves the address). Idempotent per
    invitation: the row is locked and re-checked, so a double submit joins once.
    Raises InvitationError when the invitation is no longer open or when `user`'s
    address is not the invited one.
    """
    with transaction.atomic(), scope(organization=invitation.organization):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != Invitation.Status.PENDING:
            raise InvitationError(_("This invitation is no longer open."))
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationError(
                    _("An account with this address exists already. Sign in to accept.")
                )
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                first_name=first_name or invitation.first_name,
                last_name=last_name or invitation.last_name,
            )
        elif user.email.lower() != invitation.email.lower():
            raise InvitationError(
                _("This invitation is for %(email)s; you are signed in as someone else.")
                % {"email": invitation.email}
            )
        EmailAddress.objects.update_or_create(
            user=user, email=invitation.email, defaults={"verified": True, "primary": True}
        )
        membership, created = Membership.objects.get_or_create(
            organization=invitation.organization, user=user, defaults={"role": invitation.role}
        )
        if created:
            first_coordinator_handles_concerns(membership=membership)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            organization=invitation.organization,
            action=Action.INVITATION_ACCEPTED,
            actor=user,
            target=invitation,
            summary=f"{invitation.email} joined as {invitation.get_role_display()}",
        )
    return user


def user_language_set(*, user, language):
    """Save the person's language ("" = their organisation's); no write when unchanged."""
    if user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


def invitation_email_send(*, invitation):
    """Record the email of the current link of `invitation` in the outbox (sent after the
    caller's transaction commits), once per link; `sent_at` is when it was recorded.

    Idempotent: a second call for the same link (a redelivered task, a retried action)
    does nothing. A closed invitation is not sent.
    """
    if invitation.status != Invitation.Status.PENDING or invitation.sent_nonce == invitation.nonce:
        return False
    organization = invitation.organization
    # The invitee has no account yet, hence no language of their own: the organisation's.
    with override_for(None, organization):
        role = str(invitation.get_role_display())
    message_queue(
        template="invitation",
        to=[invitation.email],
        organization=organization,
        key=f"invitation:{invitation.pk}:{invitation.nonce}",
        context={
            "first_name": invitation.first_name,
            "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
            "role": role,
            "accept_url": invitation_url(invitation=invitation),
            "expires_at": invitation.expires_at,
        },
    )
    Invitation.objects.filter(pk=invitation.pk, nonce=invitation.nonce).update(
        sent_nonce=invitation.nonce, sent_at=timezone.now()
    )
    return True


def first_coordinator_handles_concerns(*, membership):
    """Name `membership` the concern handler when it is its organisation's only coordinator:
    a new organisation's first coordinator reads the concerns participants raise until the
    settings page names someone else. Later coordinators are never named here. Returns
    whether it was named. One or two queries."""
    if membership.role != Membership.Role.COORDINATOR or membership.handles_concerns:
        return False
    others = Membership.objects.filter(
        organization_id=membership.organization_id, role=Membership.Role.COORDINATOR
    ).exclude(pk=membership.pk)
    if others.exists():
        return False
    membership.handles_concerns = True
    membership.save(update_fields=["handles_concerns"])
    return True


def account_create_vouched(*, email, first_name="", last_name=""):
    """A new account for `email`, which an organisation's identity provider vouched for
    (single sign-on, SCIM): no usable password, the address verified and primary. Call it
    inside the caller's transaction, after checking that no account has this address."""
    user = User.objects.create_user(
        email=email, password=None, first_name=first_name, last_name=last_name
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def membership_add(*, organization, user, role):
    """Make `user` a member with `role` (updating the role if already a member)."""
    membership, _created = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


# --- The person's own data -----------------------------------------------------------------


def data_export(*, organization, user):
    """A zip of the person's own data in `organization`: my-data.json, one CSV per table
    and a README, the tables of every app in settings.PERSONAL_DATA in the listed order.
    Read-only; the same number of queries however much there is.

    Contains only what the person wrote or what was shared with them; CSV cells a
    spreadsheet would run as a formula are neutralised (peercoach.web.csvio).
    """
    tables = [
        table
        for module in personal_data_modules()
        for table in module.tables(organization=organization, user=user)
    ]
    return archive_write(organization=organization, user=user, tables=tables)


class AccountDeleteError(ValidationError):
    """The account cannot be deleted now; the message says why and what to do."""


def account_delete(*, user):
    """Delete the person's account: all or nothing, in one transaction.

    Runs the `erase` of every app in settings.PERSONAL_DATA, in reverse order, then
    empties the User row (email `deleted-<id>@deleted.invalid`, no names, no usable
    password, inactive, `deleted_at` set). Between them they delete the person's sign-in
    addresses, two-factor authenticators, web sessions, memberships in every organisation,
    calendar feeds, private notes, self-reflections, preparations, plans (with goals),
    pending applications and survey writing. Active pairs they are in end; shared records
    stay and show "Former participant". Idempotent for an account already deleted.

    Raises AccountDeleteError when the person coordinates an organisation (they hand
    over first) or operates the installation.
    """
    with transaction.atomic(), scopes_disabled():
        # Account deletion is about the person across every tenant they belong to.
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.deleted_at is not None:
            return user
        if user.is_staff or user.is_superuser:
            raise AccountDeleteError(
                _("Operator accounts are removed by another operator, not from here.")
            )
        coordinating = list(
            Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).values_list(
                "organization__name", flat=True
            )
        )
        if coordinating:
            raise AccountDeleteError(
                _(
                    "You coordinate %(orgs)s. Ask another coordinator to take over and to "
                    "change your role to participant, then delete your account."
                )
                % {"orgs": ", ".join(coordinating)}
            )
        for module in reversed(personal_data_modules()):
            module.erase(user=user)
        user.email = f"deleted-{user.pk}@deleted.invalid"
        user.first_name = ""
        user.last_name = ""
        user.time_zone = ""
        user.language = ""
        user.set_unusable_password()
        user.is_active = False
        user.deleted_at = timezone.now()
        user.save()
    return user


# --- Ending one membership ----------------------------------------------------------------


class MembershipEndError(ValidationError):
    """The membership cannot end now; the message says why and what to do."""


def membership_leave_modules():
    """The modules of settings.MEMBERSHIP_LEAVE, in the listed order."""
    return [import_module(path) for path in settings.MEMBERSHIP_LEAVE]


def membership_end(*, organization, user, actor=None, reason=""):
    """End `user`'s membership of `organization`, and only that one: all or nothing, in
    one transaction. Returns the audit row, or None when there was no membership.

    Every module of settings.MEMBERSHIP_LEAVE runs its `leave` first: the person's active
    pairs end through the opt-out path (partners and program team told, a circle goes on
    without them, nothing shared deleted) and their open applications are withdrawn.
    Then the open invitations for their address here are revoked and the Membership row
    is deleted, so the organisation's pages answer 404 to them from the next request, and
    a later invitation or provisioning makes a fresh membership (the row is unique per
    organisation and person). Their account, password and other memberships are
    untouched. An audit row MEMBER_REMOVED names `actor` (None: the system, e.g. the
    identity provider) and `reason`, a short line our code writes.

    Idempotent: no membership, nothing done. Raises MembershipEndError when the person is
    the organisation's last coordinator.
    """
    with transaction.atomic(), scope(organization=organization):
        membership = (
            Membership.objects.select_for_update()
            .filter(organization=organization, user=user)
            .first()
        )
        if membership is None:
            return None
        if membership.is_coordinator:
            # Locked so that two coordinators removing each other cannot both succeed.
            coordinators = list(
                Membership.objects.select_for_update()
                .filter(organization=organization, role=Membership.Role.COORDINATOR)
                .values_list("pk", flat=True)
            )
            if coordinators == [membership.pk]:
                raise MembershipEndError(
                    _(
                        "%(name)s is the organisation's last coordinator. Make someone else "
                        "a coordinator first."
                    )
                    % {"name": user.display_name}
                )
        for module in membership_leave_modules():
            module.leave(organization=organization, user=user)
        Invitation.objects.filter(
            organization=organization,
            email__iexact=user.email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        event = audit_record(
            organization=organization,
            action=Action.MEMBER_REMOVED,
            actor=actor,
            target=membership,
            summary=f"{user.email} ({membership.get_role_display()}) {reason}".strip()[:300],
        )
        membership.delete()
    return event
