"""Sending the ledger's rows: claim, send, mark; never twice, never lost.

The order of one delivery over SMTP:

1. Claim: `UPDATE ... SET status='sending' WHERE id=... AND status='pending'` (or the row
   was claimed by this same task before a redelivery). Only one worker wins a row.
2. Open the SMTP transaction: MAIL, RCPT, DATA and the whole message, but not yet the
   final "." that commits it on the server.
3. Mark the row `sent` and commit.
4. Send the final "." and read the answer.

A worker killed before step 3 leaves the server with an unfinished transaction, which it
discards: the row is still `sending`, and sending it again delivers it once. A worker
killed after step 3 has already written the final "." into the socket, or is microseconds
away from it; the kernel delivers what was written. A refusal at step 4 puts the row back
to `pending` (or `failed` after the last attempt). Without an SMTP mailer (console, file,
locmem in tests) there is no server transaction to hold open: the row is marked after the
backend accepted the message.
"""

import contextlib
import re
import smtplib
import socket
import ssl

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Delivery

MAX_ATTEMPTS = 5
CRLF = b"\r\n"


class TakenOver(Exception):
    """Another task claimed the row while this one was sending it: not committed here."""


class OutcomeUnknown(Exception):
    """The connection broke after the final "." was sent, before the server answered."""


class SendRefused(Exception):
    """The SMTP server refused the message (a 4xx or 5xx answer)."""

    def __init__(self, code, text):
        super().__init__(f"{code} {text}")
        self.code = code
        self.temporary = 400 <= code < 500


def claim(*, organization, delivery_id, token):
    """Take the row for sending; True when this caller now owns it."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(organization=organization, pk=delivery_id)
        .filter(
            Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, claim_token=token)
        )
        .update(
            status=Delivery.Status.SENDING,
            claimed_at=now,
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    )
    return claimed == 1


def mark_sent(*, organization, delivery_id, token):
    """Mark the row sent if this caller still holds its claim; False when another task
    took it over meanwhile (the caller must then not commit the message)."""
    with transaction.atomic():
        updated = Delivery.objects.filter(
            organization=organization,
            pk=delivery_id,
            claim_token=token,
            status=Delivery.Status.SENDING,
        ).update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return updated == 1


def mark_outcome_unknown(*, organization, delivery_id):
    """The server had the whole message and the final "." but hung up before answering:
    it may well have delivered it. The row stays sent (never twice), with a note."""
    Delivery.objects.filter(organization=organization, pk=delivery_id).update(
        last_error="No answer to the final '.': the server may have delivered it."
    )


def mark_failed(*, organization, delivery_id, error, final):
    """Back to `pending` for the next try, or `failed` for good (visible to coordinators)."""
    Delivery.objects.filter(organization=organization, pk=delivery_id).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
        last_error=str(error)[:500],
        claim_token="",
        enqueued_at=None,
        sent_at=None,  # a refusal of the final "." undoes the mark made before it
    )


def mark_skipped(*, organization, delivery_id, reason):
    Delivery.objects.filter(organization=organization, pk=delivery_id).update(
        status=Delivery.Status.SKIPPED, last_error=reason[:500]
    )


# --- The transport ---------------------------------------------------------------------


def _smtp_options():
    """The default mailer's SMTP options, or None when it is not an SMTP mailer."""
    config = settings.MAILERS["default"]
    if not config["BACKEND"].endswith("smtp.EmailBackend"):
        return None
    return config.get("OPTIONS", {})


class Transport:
    """One connection for a batch: SMTP held open across messages, else Django's mailer."""

    def __init__(self):
        self.options = _smtp_options()
        self.smtp = None
        self.backend = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def _connect(self):
        options = self.options
        timeout = options.get("timeout", 30)
        if options.get("use_ssl"):
            smtp = smtplib.SMTP_SSL(
                options["host"],
                options["port"],
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(options["host"], options["port"], timeout=timeout)
            if options.get("use_tls"):
                smtp.starttls(context=ssl.create_default_context())
        # The final "." is a small write of its own after the row is marked: without
        # TCP_NODELAY, Nagle's algorithm holds it until the server's delayed ACK of the
        # message arrives (about 40 ms on Linux), for every message.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # `mail()` does not greet by itself (only `sendmail()` does): EHLO first.
        smtp.ehlo_or_helo_if_needed()
        if options.get("username"):
            smtp.login(options["username"], options.get("password", ""))
        return smtp

    def send(self, message: EmailMultiAlternatives, *, before_commit):
        """Send `message`; `before_commit()` runs once the server holds the whole message
        and before the final "." commits it (see the module docstring)."""
        if self.options is None:
            if self.backend is None:
                self.backend = mailers.default  # a new backend instance
                self.backend.open()
            # No server transaction to hold open (console, file, tests): mark after.
            self.backend.send_messages([message])
            before_commit()
            return
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self._transaction(message, before_commit)
        except TakenOver:
            # Hang up in the middle of DATA: the server drops the unfinished message.
            self.smtp.close()
            self.smtp = None
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            self.smtp = None
            raise

    def _transaction(self, message, before_commit):
        smtp = self.smtp
        sender = message.from_email
        code, text = smtp.mail(_address(sender))
        if code != 250:
            smtp.rset()
            raise SendRefused(code, text)
        for recipient in message.recipients():
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                raise SendRefused(code, text)
        code, text = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            raise SendRefused(code, text)
        mime = message.message()
        body = mime.as_bytes(policy=mime.policy.clone(linesep="\r\n"))
        body = re.sub(rb"(?m)^\.", b"..", body)
        if not body.endswith(CRLF):
            body += CRLF
        smtp.send(body)
        if not before_commit():
            raise TakenOver
        smtp.send(b"." + CRLF)
        try:
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise OutcomeUnknown(str(exc)) from exc
        if code != 250:
            raise SendRefused(code, text)


def _address(value):
    from email.utils import parseaddr

    return parseaddr(value)[1] or value
