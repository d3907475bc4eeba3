"""Email as a subject / text / HTML triple of templates.

A message named NAME lives in `templates/emails/NAME/{subject.txt,body.txt,body.html}`.
Rendering happens in the organisation's time zone and with its branding.
"""

import email.policy
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def absolute_url(path):
    """The full address of a path of this site, for links in emails and calendar files."""
    return settings.SITE_URL + path


def email_render(*, template, context, organization=None, zone=None):
    """Return (subject, text, html) for the named template. The subject is one line.

    Times render in `zone` (the recipient's), else the organisation's."""
    context = {
        **context,
        "organization": organization,
        "site_url": settings.SITE_URL,
    }
    zone = zone or (organization.time_zone if organization else settings.TIME_ZONE)
    with timezone.override(zone):
        subject = render_to_string(f"emails/{template}/subject.txt", context)
        text = render_to_string(f"emails/{template}/body.txt", context)
        html = render_to_string(f"emails/{template}/body.html", context)
    subject = " ".join(subject.split())
    return subject, text, html


def email_send(
    *, template, to, context, organization=None, headers=None, reply_to=None, attachments=None
):
    """Render and send one message through the default mailer. Raises on SMTP failure.

    `attachments`: [{"filename", "content" (text), "mimetype"}], e.g. a calendar file.
    """
    subject, text, html = email_render(
        template=template, context=context, organization=organization
    )
    if reply_to is None and organization is not None and organization.help_email:
        reply_to = [organization.help_email]
    return email_send_rendered(
        subject=subject,
        text=text,
        html=html,
        to=to,
        headers=headers,
        reply_to=reply_to,
        attachments=attachments,
    )


def email_send_rendered(
    *, subject, text, html, to, from_email=None, headers=None, reply_to=None, attachments=None
):
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        headers=headers or {},
        reply_to=reply_to or [],
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in attachments or ():
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message.send()


# --- Reminders from the delivery ledger --------------------------------------------------


class ReminderMessage(EmailMultiAlternatives):
    """A reminder email whose List-Unsubscribe headers stay a plain <url>.

    The default policies encode a header longer than 78 characters, which mail apps then
    fail to read as a one-click link (RFC 2369/8058): fold at 998, never encode.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def delivery_message(*, delivery, recipient, organization):
    """The email for one ledger row: `templates/emails/reminder_<kind>/`, with the
    one-click unsubscribe link and headers (RFC 8058)."""
    from .unsubscribe import unsubscribe_url

    unsubscribe = unsubscribe_url(
        organization_id=organization.pk, user_id=recipient.pk, kind=delivery.kind
    )
    context = {
        **delivery.context,
        "first_name": recipient.first_name,
        "unsubscribe_url": unsubscribe,
        "kind": delivery.kind,
    }
    subject, text, html = email_render(
        template=f"reminder_{delivery.kind}",
        context=context,
        organization=organization,
        zone=recipient.time_zone or organization.time_zone,
    )
    message = ReminderMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        reply_to=[organization.help_email] if organization.help_email else [],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<delivery-{delivery.pk}.{organization.pk}@peercoach>",
        },
    )
    if html:
        message.attach_alternative(html, "text/html")
    maker = settings.REMINDER_ATTACHMENTS.get(delivery.kind)
    if maker:
        from django.utils.module_loading import import_string

        for attachment in import_string(maker)(delivery=delivery, organization=organization):
            message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message


def deliveries_send(*, organization, ids, token):
    """Send the ledger rows `ids` of `organization`: over one SMTP connection, or over
    REMINDER_SMTP_CONNECTIONS at once in threads (PostgreSQL, outside a transaction).

    The rows are claimed first, in one statement (a row claimed elsewhere is left
    alone), each checked again (the person turned the kind off, left the organisation,
    deleted the account: skipped), sent, and marked sent as the server commits it (see
    `delivery.py`).
    A refused or failed message goes back to `pending` with a later `due_at` (backoff:
    2, 4, 8... minutes), and to `failed` after the last attempt. A broken connection
    stops the batch; its remaining rows stay pending for the dispatcher's next run.
    Returns {"sent", "skipped", "failed"}.
    """
    from peercoach.accounts.models import User
    from peercoach.tenancy.models import Membership

    from . import delivery as ledger
    from .models import Delivery, Preference

    rows = {row.pk: row for row in Delivery.objects.filter(organization=organization, pk__in=ids)}
    users = User.objects.in_bulk({row.recipient_id for row in rows.values()})
    members = set(
        Membership.objects.filter(organization=organization, user_id__in=users).values_list(
            "user_id", flat=True
        )
    )
    off = set(
        Preference.objects.filter(
            organization=organization, user_id__in=users, enabled=False
        ).values_list("user_id", "kind")
    )
    claimed = ledger.claim_batch(organization=organization, ids=list(rows), token=token)
    todo = [pk for pk in ids if pk in claimed]
    if not todo:
        return {"sent": 0, "skipped": 0, "failed": 0}
    # The claims stay ours while we send: renewed until the batch is done (see
    # ledger.ClaimHeartbeat); a worker that dies stops renewing them.
    with ledger.ClaimHeartbeat(organization=organization, token=token) as heartbeat:
        return _send_lanes(organization, todo, rows, users, members, off, token, heartbeat)


def _send_lanes(organization, todo, rows, users, members, off, token, heartbeat):
    lanes = _lanes(len(todo))
    if lanes == 1:
        return _send_lane(organization, todo, rows, users, members, off, token, heartbeat)
    # Several SMTP connections, one thread each, so that one connection's waits (the
    # server's replies, PostgreSQL's answers) overlap with another's work.
    from concurrent.futures import ThreadPoolExecutor

    def lane(part):
        from django.db import connection as thread_connection
        from django_scopes import scope

        try:
            with scope(organization=organization):
                return _send_lane(organization, part, rows, users, members, off, token, heartbeat)
        finally:
            thread_connection.close()

    counts = {"sent": 0, "skipped": 0, "failed": 0}
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        for done in pool.map(lane, [todo[i::lanes] for i in range(lanes)]):
            for key, value in done.items():
                counts[key] += value
    return counts


def _lanes(count):
    """How many SMTP connections a batch uses at once: REMINDER_SMTP_CONNECTIONS with
    an SMTP mailer on PostgreSQL outside a transaction (each thread has a database
    connection of its own, which must see the committed rows), else one."""
    from django.db import connection

    from .delivery import _smtp_options

    wanted = getattr(settings, "REMINDER_SMTP_CONNECTIONS", 1)
    if (
        wanted <= 1
        or count < 2
        or _smtp_options() is None
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        return 1
    return min(wanted, count)


def _send_lane(organization, ids, rows, users, members, off, token, heartbeat=None):
    """Send the claimed rows `ids` in order over one connection (see deliveries_send)."""
    from datetime import timedelta

    from . import delivery as ledger
    from .models import Delivery

    counts = {"sent": 0, "skipped": 0, "failed": 0}
    with ledger.Transport() as transport:
        for delivery_id in ids:
            if heartbeat is not None:
                heartbeat.tick()
            row = rows[delivery_id]
            user = users[row.recipient_id]
            reason = _skip_reason(row, user, members, off)
            if reason:
                ledger.mark_skipped(organization=organization, delivery_id=row.pk, reason=reason)
                counts["skipped"] += 1
                continue
            message = delivery_message(delivery=row, recipient=user, organization=organization)
            try:
                transport.send(
                    message,
                    mark=ledger.SentMark(
                        organization=organization, delivery_id=row.pk, token=token
                    ),
                )
            except ledger.TakenOver:
                continue  # its new owner sends it
            except ledger.OutcomeUnknown:
                ledger.mark_outcome_unknown(organization=organization, delivery_id=row.pk)
                counts["sent"] += 1
                transport.smtp = None
                continue
            except (ledger.SendRefused, OSError, smtplib.SMTPException) as exc:
                attempts = row.attempts + 1
                final = attempts >= ledger.MAX_ATTEMPTS or (
                    isinstance(exc, ledger.SendRefused) and not exc.temporary
                )
                ledger.mark_failed(
                    organization=organization, delivery_id=row.pk, error=exc, final=final
                )
                if not final:
                    Delivery.objects.filter(organization=organization, pk=row.pk).update(
                        due_at=timezone.now() + timedelta(minutes=2**attempts)
                    )
                counts["failed"] += 1
                if not isinstance(exc, ledger.SendRefused):
                    # The connection is gone: the dispatcher's next run queues the rest.
                    rest = ids[ids.index(delivery_id) + 1 :]
                    ledger.release(organization=organization, ids=rest, token=token)
                    break
                continue
            counts["sent"] += 1
    return counts


def _skip_reason(row, user, members, off):
    if user.deleted_at is not None or not user.is_active or not user.email:
        return "The account is closed."
    if user.pk not in members:
        return "No longer a member of the organisation."
    if (user.pk, row.kind) in off:
        return "Turned off by the person."
    return ""
