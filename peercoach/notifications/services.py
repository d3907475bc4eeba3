"""Email as a subject / text / HTML triple of templates.

A message named NAME lives in `templates/emails/NAME/{subject.txt,body.txt,body.html}`.
Rendering happens in the recipient's time zone and language (else the organisation's) and
with the organisation's branding.
"""

import contextlib
import contextvars
import email.policy
import hashlib
import json
import logging
import smtplib
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from peercoach.tenancy.languages import language_of

from .wire import message_id

logger = logging.getLogger(__name__)


def email_render(*, template, context, organization=None, zone=None, language=None):
    """Return (subject, text, html) for the named template. The subject is one line.

    Times render in `zone` (the recipient's), else the organisation's; words, dates and
    numbers in `language` (the recipient's, `tenancy.languages.language_of`), else the
    organisation's default language, else LANGUAGE_CODE."""
    subject, text, html = _render_raw(
        template, context, organization=organization, zone=zone, language=language
    )
    return " ".join(subject.split()), text, html


# --- Rendering once per shape ------------------------------------------------------------

# What `email_render_shaped` caches when a template does more with a per-person value than
# print it: such a shape is rendered in full for every recipient.
_UNSHAPED = object()


def email_render_shaped(*, template, context, personal, organization, zone, shapes, language=None):
    """`email_render` of `{**context, **personal}`, where `personal` holds the values that
    differ per recipient (a first name, an unsubscribe link): the templates are rendered
    once per shape (template, shared context, zone, language, which personal values are
    empty) and
    each recipient's values are put in afterwards. `shapes` is the caller's dict, kept
    for one batch of one organisation; None renders in full.

    A shape is rendered twice with different stand-ins (random letters and digits, of
    different first letters and lengths) and used only when the two renders differ by
    the stand-ins alone, so a template that filters, truncates or measures a personal
    value is rendered in full for each recipient. (Not detected: a comparison with a
    fixed text, `{% if first_name == "Ben" %}`; no template of ours compares them, and
    tests/notifications/test_shapes.py renders every reminder both ways.) A value that
    HTML escaping would change (`&<>"'`) is never put in: that recipient's message is
    rendered in full, so the autoescaping of each place does not matter.
    """
    everything = {**context, **personal}
    if shapes is None or not all(_insertable(value) for value in personal.values()):
        return email_render(
            template=template,
            context=everything,
            organization=organization,
            zone=zone,
            language=language,
        )
    filled = tuple(sorted(name for name, value in personal.items() if value))
    language = language or language_of(None, organization)
    key = (
        template,
        organization.pk if organization else None,
        zone,
        language,
        json.dumps(context, sort_keys=True, cls=DjangoJSONEncoder),
        filled,
    )
    shape = shapes.get(key)
    if shape is None:
        shape = shapes[key] = _shape(
            template, context, personal, filled, organization, zone, language
        )
    if shape is _UNSHAPED:
        return email_render(
            template=template,
            context=everything,
            organization=organization,
            zone=zone,
            language=language,
        )
    stand_ins, parts = shape
    subject, text, html = (_fill(part, stand_ins, personal) for part in parts)
    return " ".join(subject.split()), text, html


def _insertable(value):
    from django.utils.html import escape

    return isinstance(value, str) and escape(value) == value


def _fill(part, stand_ins, personal):
    for name, stand_in in stand_ins.items():
        part = part.replace(stand_in, personal[name])
    return part


def _shape(template, context, personal, filled, organization, zone, language):
    """(stand-ins, raw subject/text/html) of one shape, or _UNSHAPED."""
    import secrets

    # Two sets of stand-ins that differ from their first letter to their length, so that
    # whatever a template does with a value (slices, truncates, measures, changes case)
    # shows as a difference between the two renders.
    nonce = secrets.token_hex(8)
    first = {name: f"q{nonce}{i}a" for i, name in enumerate(filled)}
    second = {name: f"z{nonce}{i}bbbbbbb" for i, name in enumerate(filled)}
    renders = []
    for stand_ins in (first, second):
        values = {**personal, **stand_ins}  # the empty values stay as they are
        renders.append(
            _render_raw(
                template,
                {**context, **values},
                organization=organization,
                zone=zone,
                language=language,
            )
        )
    for one, other in zip(*renders, strict=True):
        if _fill(one, first, second) != other or one.count(nonce) != sum(
            one.count(stand_in) for stand_in in first.values()
        ):
            return _UNSHAPED
    return first, renders[0]


def _render_raw(template, context, *, organization, zone, language=None):
    """The three templates rendered, the subject not yet made one line."""
    context = {**context, "organization": organization, "site_url": settings.SITE_URL}
    zone = zone or (organization.time_zone if organization else settings.TIME_ZONE)
    language = language or language_of(None, organization)
    with timezone.override(zone), translation.override(language):
        return tuple(
            render_to_string(f"emails/{template}/{name}", context)
            for name in ("subject.txt", "body.txt", "body.html")
        )


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
        headers={"Message-ID": message_id(), **(headers or {})},
        reply_to=reply_to or [],
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in attachments or ():
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message.send()


# --- The outbox: every other email through the delivery ledger ---------------------------


_muted = contextvars.ContextVar("messages_muted", default=False)
NO_PUBLISH_RETRY = {"max_retries": 0}


@contextlib.contextmanager
def messages_muted():
    """Record no message while the block runs (demo data: made-up addresses)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def message_queue(
    *, template, to, context, organization, key=None, attachments=None, rendered=None
):
    """Record one email per recipient in the delivery ledger, in the caller's transaction,
    and ask for it to be sent once that transaction commits. Returns the rows' ids.

    `to`: users (the message goes to their address at send time, rendered in their time
    zone, and is skipped if the account is closed meanwhile) and/or plain addresses
    (someone without an account). `context` must be JSON-safe once datetimes, dates and
    lazy strings are written as strings: keys ending in `_at` come back as datetimes when
    the message is rendered. A `first_name` the context does not give is the recipient's.
    `template` names `templates/emails/<template>/`; `rendered` (allauth's messages,
    rendered in the request) gives {"subject", "text", "html", "from_email"} instead, and
    is cleared once the row is sent, failed or skipped.

    Guarantees: the rows exist if and only if the caller's transaction commits; each is
    sent at most once (the ledger's claim) and at least once while the SMTP server
    accepts it: the send after commit is only a shortcut, a broker that is down (or a
    process that dies before it) leaves the rows pending for the dispatcher's next run.
    `key`: a name of the event (e.g. "signed:12"), so that an action retried after its
    commit records no second message; without one, every call is a new message.
    Never raises for the broker. Records nothing inside `messages_muted()`.
    """
    from django_scopes import scope

    from .models import MESSAGE, Delivery

    base = key or uuid.uuid4().hex
    if len(base) > 40:
        base = hashlib.sha256(base.encode()).hexdigest()[:40]
    safe = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    files = json.loads(json.dumps(attachments or [], cls=DjangoJSONEncoder))
    now = timezone.now()
    rows = {}
    for person in to:
        if isinstance(person, str):
            address, recipient = person.strip(), None
            if not address:
                continue
            period = f"{base}:{hashlib.sha256(address.lower().encode()).hexdigest()[:16]}"
        else:
            address, recipient = "", person
            period = f"{base}:u{person.pk}"
        rows[period] = Delivery(
            organization=organization,
            recipient=recipient,
            address=address,
            kind=MESSAGE,
            period=period,
            template=template,
            context=safe,
            attachments=files,
            rendered=rendered or {},
            due_at=now,
            enqueued_at=now,
        )
    if not rows or _muted.get():
        return []
    with scope(organization=organization):
        Delivery.objects.bulk_create(rows.values(), ignore_conflicts=True)
        # Ignored conflicts have no id: read them all back (a retried action's rows too,
        # which the claim then leaves alone when they were sent).
        ids = list(
            Delivery.objects.filter(
                organization=organization, kind=MESSAGE, period__in=list(rows)
            ).values_list("pk", flat=True)
        )
    organization_id = organization.pk
    transaction.on_commit(lambda: deliveries_send_soon(organization_id, ids), robust=True)
    return ids


def deliveries_send_soon(organization_id, ids):
    """Queue the ledger rows `ids` for sending now. Should the broker refuse, the rows
    are handed to the dispatcher (`enqueued_at` cleared): a delay, never a loss or an
    error. Called after commit; in embedded mode (eager tasks) it sends at once."""
    from django_scopes import scopes_disabled

    from .models import Delivery
    from .tasks import deliveries_send

    try:
        # No publish retries: the dispatcher is the retry, and the request should not
        # wait (Redis closed: 0.01 s to fail, against 0.7-2 s with the default policy and
        # 6 s with retry=False, which leaves the connection's own retries on).
        deliveries_send.apply_async(
            kwargs={"organization_id": organization_id, "ids": ids},
            queue="email",
            retry_policy=NO_PUBLISH_RETRY,
        )
    except Exception:
        logger.warning(
            "Could not queue %d message(s) of organisation %s; the dispatcher sends them.",
            len(ids),
            organization_id,
            exc_info=True,
        )
        with scopes_disabled():
            Delivery.objects.filter(
                organization_id=organization_id, pk__in=ids, status=Delivery.Status.PENDING
            ).update(enqueued_at=None)


def context_revive(context):
    """The stored context with `*_at` ISO strings back as datetimes."""
    return {
        key: (parse_datetime(value) or value)
        if key.endswith("_at") and isinstance(value, str)
        else value
        for key, value in context.items()
    }


def message_email(*, delivery, recipient, organization):
    """The email of one `message` row: its stored rendering, else its template rendered
    in the recipient's time zone (the organisation's for a bare address)."""
    rendered = delivery.rendered
    if rendered:
        subject, text, html = rendered["subject"], rendered["text"], rendered["html"]
        from_email = rendered.get("from_email") or settings.DEFAULT_FROM_EMAIL
        reply_to = []
    else:
        context = {
            "first_name": recipient.first_name if recipient else "",
            **context_revive(delivery.context),
        }
        subject, text, html = email_render(
            template=delivery.template,
            context=context,
            organization=organization,
            zone=(recipient.time_zone if recipient else "") or organization.time_zone,
            language=language_of(recipient, organization),
        )
        from_email = settings.DEFAULT_FROM_EMAIL
        reply_to = [organization.help_email] if organization.help_email else []
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[delivery.address or recipient.email],
        reply_to=reply_to,
        # One id per ledger row: a resend after an unknown outcome carries the same one.
        headers={"Message-ID": message_id(f"delivery-{delivery.pk}.{organization.pk}")},
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in delivery.attachments or ():
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message


def _forget_rendered(*, organization, row):
    """A stored rendering (a password-reset link...) does not outlive its row's sending."""
    from .models import Delivery

    if row.rendered:
        Delivery.objects.filter(organization=organization, pk=row.pk).update(rendered={})


# --- Reminders from the delivery ledger --------------------------------------------------


class ReminderMessage(EmailMultiAlternatives):
    """A reminder email whose List-Unsubscribe headers stay a plain <url>.

    The default policies encode a header longer than 78 characters, which mail apps then
    fail to read as a one-click link (RFC 2369/8058): fold at 998, never encode.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def delivery_message(*, delivery, recipient, organization, shapes=None):
    """The email for one ledger row: `templates/emails/reminder_<kind>/`, with the
    one-click unsubscribe link and headers (RFC 8058). `shapes`: a dict kept for one
    batch, to render each shape of message once (see `email_render_shaped`)."""
    from .unsubscribe import unsubscribe_url

    unsubscribe = unsubscribe_url(
        organization_id=organization.pk, user_id=recipient.pk, kind=delivery.kind
    )
    language = language_of(recipient, organization)
    subject, text, html = email_render_shaped(
        template=f"reminder_{delivery.kind}",
        context={**delivery.context, "kind": delivery.kind},
        personal={"first_name": recipient.first_name, "unsubscribe_url": unsubscribe},
        organization=organization,
        zone=recipient.time_zone or organization.time_zone,
        shapes=shapes,
        language=language,
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
            "Message-ID": message_id(f"delivery-{delivery.pk}.{organization.pk}"),
        },
    )
    if html:
        message.attach_alternative(html, "text/html")
    maker = settings.REMINDER_ATTACHMENTS.get(delivery.kind)
    if maker:
        from django.utils.module_loading import import_string

        with translation.override(language):
            made = import_string(maker)(delivery=delivery, organization=organization)
        for attachment in made:
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
    from peercoach.tenancy.models import Membership

    from . import delivery as ledger
    from .models import Delivery, Preference

    rows = {row.pk: row for row in Delivery.objects.filter(organization=organization, pk__in=ids)}
    # The user model is looked up, not imported: accounts sits above notifications.
    users = get_user_model().objects.in_bulk({row.recipient_id for row in rows.values()} - {None})
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
    from .models import MESSAGE, Delivery

    counts = {"sent": 0, "skipped": 0, "failed": 0}
    shapes = {}  # this lane's renders, one per shape of message (email_render_shaped)
    with ledger.Transport() as transport:
        for delivery_id in ids:
            if heartbeat is not None:
                heartbeat.tick()
            row = rows[delivery_id]
            user = users.get(row.recipient_id)
            reason = _skip_reason(row, user, members, off)
            if reason:
                ledger.mark_skipped(organization=organization, delivery_id=row.pk, reason=reason)
                _forget_rendered(organization=organization, row=row)
                counts["skipped"] += 1
                continue
            if row.kind == MESSAGE:
                message = message_email(delivery=row, recipient=user, organization=organization)
            else:
                message = delivery_message(
                    delivery=row, recipient=user, organization=organization, shapes=shapes
                )
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
                _forget_rendered(organization=organization, row=row)
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
                if final:
                    _forget_rendered(organization=organization, row=row)
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
            _forget_rendered(organization=organization, row=row)
            counts["sent"] += 1
    return counts


def _skip_reason(row, user, members, off):
    from .models import MESSAGE

    if row.kind == MESSAGE:
        # A message follows an action of the organisation; it is never turned off, and
        # one to an address (an invitation) has no account to check.
        if user is not None and (user.deleted_at is not None or not user.is_active):
            return "The account is closed."
        if not (row.address or (user is not None and user.email)):
            return "No address."
        return ""
    if user.deleted_at is not None or not user.is_active or not user.email:
        return "The account is closed."
    if user.pk not in members:
        return "No longer a member of the organisation."
    if (user.pk, row.kind) in off:
        return "Turned off by the person."
    return ""
