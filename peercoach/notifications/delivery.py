"""Sending the ledger's rows: claim, send, mark; never twice, never lost.

The order of one delivery over SMTP:

1. Claim: `UPDATE ... SET status='sending' WHERE id IN (...) AND status='pending'` for
   the whole batch (a row this same task claimed before a redelivery counts as its own).
   Only one worker wins a row.
2. Open the SMTP transaction: MAIL, RCPT, DATA and the whole message, but not yet the
   final "." that commits it on the server.
3. Mark the row `sent`: in a transaction, `UPDATE ... WHERE claim_token = <ours>`; no
   row means another task took it over, and the message is dropped (hang up).
4. Send COMMIT to PostgreSQL, then at once the final "." to the SMTP server, then read
   both answers.

A worker killed before step 4 leaves the server with an unfinished SMTP transaction,
which it discards, and the row `sending` (an uncommitted mark rolls back): sending it
again delivers it once. Once COMMIT is in PostgreSQL's socket the server commits it even
if the worker dies, so the one window where a kill loses a message is between the two
writes of step 4: two system calls, a few microseconds. A refusal of the final "." puts
the row back to `pending` (or `failed` after the last attempt). When the COMMIT cannot be
pipelined (another database, or inside an outer transaction, as in tests) the mark
commits before the "." is sent; without an SMTP mailer (console, file, locmem) there is
no server transaction to hold open and the row is marked after the backend took the
message.
"""

import contextlib
import logging
import re
import smtplib
import socket
import ssl
import threading
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg import generators, pq, sql

from .models import Delivery
from .wire import message_bytes

logger = logging.getLogger(__name__)

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


def claim_batch(*, organization, ids, token):
    """Take the rows `ids` for sending in one statement; return the ids this caller now
    owns: pending rows, and rows this same task (`token`) claimed before a redelivery."""
    if not ids:
        return set()
    table = Delivery._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, claim_token = %s, "  # noqa: S608 - names are ours, values are parameters
        f"attempts = attempts + 1 WHERE organization_id = %s AND id IN ({marks}) "
        "AND (status = %s OR (status = %s AND claim_token = %s)) RETURNING id"
    )
    sending, pending = Delivery.Status.SENDING, Delivery.Status.PENDING
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [sending, now, token, organization.pk, *ids, pending, sending, token]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


class ClaimHeartbeat:
    """Keeps a sending task's claims alive: every `every` seconds, `claimed_at` of the rows
    `token` still holds (`sending`) is set to now, so that the dispatcher takes back only
    the claims of a dead worker (not renewed for the lease, see `dispatch.py`), never
    those of a live batch, however slow its SMTP server.

    On PostgreSQL outside a transaction it beats from a thread with its own database
    connection, so that a message stuck in SMTP (up to its timeout) does not hold it up;
    a row locked by its sent mark at that moment is skipped (SKIP LOCKED), never waited
    for. Elsewhere (SQLite, tests inside a transaction) the sender calls `tick()` between
    messages, which beats when one is due.
    """

    def __init__(self, *, organization, token, every=None):
        self.organization = organization
        self.token = token
        self.every = every if every is not None else settings.REMINDER_HEARTBEAT_SECONDS
        self.last = time.monotonic()
        self.stopped = threading.Event()
        self.thread = None

    def __enter__(self):
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(
                target=self._run, name=f"claim-heartbeat-{self.token}", daemon=True
            )
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def tick(self):
        """Beat now if one is due and no thread beats (call between messages)."""
        if self.thread is None and time.monotonic() - self.last >= self.every:
            self.beat()

    def beat(self):
        """Renew the claims; returns how many rows were renewed."""
        self.last = time.monotonic()
        table = Delivery._meta.db_table
        skip = connection.features.has_select_for_update_skip_locked
        locked = " FOR UPDATE SKIP LOCKED" if skip else ""
        query = (
            f"UPDATE {table} SET claimed_at = %s WHERE id IN (SELECT id FROM {table} "  # noqa: S608 - names are ours, values are parameters
            f"WHERE organization_id = %s AND status = %s AND claim_token = %s{locked})"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params = [now, self.organization.pk, Delivery.Status.SENDING, self.token]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.rowcount

    def _run(self):
        try:
            while not self.stopped.wait(self.every):
                try:
                    self.beat()
                except Exception:
                    # The next beat tries again; the lease spans several of them.
                    logger.exception("renewing the claims of task %s failed", self.token)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection


def release(*, organization, ids, token):
    """Give back rows claimed by `token` but not tried (the connection broke): pending
    again for the dispatcher's next run, the claim's attempt not counted."""
    Delivery.objects.filter(
        organization=organization, pk__in=ids, status=Delivery.Status.SENDING, claim_token=token
    ).update(
        status=Delivery.Status.PENDING,
        claim_token="",
        enqueued_at=None,
        attempts=F("attempts") - 1,
    )


def claim(*, organization, delivery_id, token):
    """Take one row for sending; True when this caller now owns it."""
    return bool(claim_batch(organization=organization, ids=[delivery_id], token=token))


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


class SentMark:
    """Marks one row sent around the final "." (see the module docstring).

    `start()` as the SMTP transaction opens; `begin()` once the server holds the whole
    message (False: the row was taken over, do not commit the message); `end()` after
    the final "."; `abort()` when the transaction did not get that far.

    On PostgreSQL outside any transaction, `start()` sends `BEGIN; UPDATE ...` without
    waiting, so its answer travels while MAIL, RCPT and DATA do; `begin()` reads it and
    sends COMMIT, and `end()` reads the COMMIT's answer while the server answers the
    ".". Elsewhere `begin()` marks the row in one committed statement.
    """

    def __init__(self, *, organization, delivery_id, token):
        self.organization = organization
        self.delivery_id = delivery_id
        self.token = token
        self.pg = None  # the psycopg connection with our statements on their way
        self.open = False  # a transaction of ours is open on it

    def start(self):
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        connection.ensure_connection()
        pg = connection.connection
        query = sql.SQL("BEGIN; {}").format(
            sql.SQL(_MARK_SQL).format(*map(sql.Literal, self._params()))
        )
        pg.pgconn.send_query(query.as_bytes(pg))
        pg.wait(generators.send(pg.pgconn))
        self.pg, self.open = pg, True

    def begin(self):
        if self.pg is None:
            # Look the function up now: tests observe the mark by replacing it.
            return mark_sent(
                organization=self.organization, delivery_id=self.delivery_id, token=self.token
            )
        try:
            results = self._results()
        except Exception:
            self.abort()
            raise
        if int(results[-1].command_tuples or 0) != 1:
            self.abort()
            return False
        self.pg.pgconn.send_query(b"COMMIT")
        self.pg.wait(generators.send(self.pg.pgconn))  # in the server's socket: committed
        self.open = False
        return True

    def end(self):
        """Read the answer to the COMMIT sent by `begin()`. Should it fail (the database
        went away meanwhile), mark the row again on a new connection."""
        if self.pg is None:
            return
        try:
            self._results()
        except Exception:
            logger.exception("COMMIT of sent delivery %s failed; marking again", self.delivery_id)
            connection.close()
            mark_sent(
                organization=self.organization, delivery_id=self.delivery_id, token=self.token
            )
        finally:
            self.pg = None

    def abort(self):
        """Roll back a mark that `start()` began (the message was not sent)."""
        pg, self.pg = self.pg, None
        if pg is None or not self.open:
            return
        self.open = False
        try:
            if pg.pgconn.transaction_status == pq.TransactionStatus.ACTIVE:
                pg.wait(generators.fetch_many(pg.pgconn))
            pg.execute("ROLLBACK")
        except Exception:
            logger.exception("rolling back the mark of delivery %s failed", self.delivery_id)
            connection.close()

    def _results(self):
        results = self.pg.wait(generators.fetch_many(self.pg.pgconn))
        failed = [r for r in results if r.status != pq.ExecStatus.COMMAND_OK]
        if failed:
            raise DatabaseError(failed[0].get_error_message())
        return results

    def _params(self):
        return [
            Delivery.Status.SENT,
            timezone.now(),
            self.organization.pk,
            self.delivery_id,
            self.token,
            Delivery.Status.SENDING,
        ]


_MARK_SQL = (
    f"UPDATE {Delivery._meta.db_table} SET status = {{}}, sent_at = {{}}, last_error = '' "  # noqa: S608 - names are ours
    "WHERE organization_id = {} AND id = {} AND claim_token = {} AND status = {}"
)


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

    def send(self, message: EmailMultiAlternatives, *, mark: SentMark):
        """Send `message`, marking its row with `mark` around the final "." that commits
        it on the server (see the module docstring)."""
        if self.options is None:
            if self.backend is None:
                self.backend = mailers.default  # a new backend instance
                self.backend.open()
            # No server transaction to hold open (console, file, tests): mark after.
            self.backend.send_messages([message])
            mark.begin()
            mark.end()
            return
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self._transaction(message, mark)
        except TakenOver:
            # Hang up in the middle of DATA: the server drops the unfinished message.
            self.smtp.close()
            self.smtp = None
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            self.smtp = None
            raise

    def _transaction(self, message, mark):
        body = re.sub(rb"(?m)^\.", b"..", message_bytes(message))  # dot-stuffing
        if not body.endswith(CRLF):
            body += CRLF
        mark.start()
        try:
            self._data(message, body)
        except BaseException:
            mark.abort()
            raise
        if not mark.begin():
            raise TakenOver
        try:
            self.smtp.send(b"." + CRLF)
        finally:
            mark.end()
        try:
            code, text = self.smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise OutcomeUnknown(str(exc)) from exc
        if code != 250:
            raise SendRefused(code, text)

    def _data(self, message, body):
        """MAIL, RCPT, DATA and the message, all but the final "."."""
        smtp = self.smtp
        sender = message.from_email
        if smtp.has_extn("pipelining"):
            self._data_pipelined(message, body)
            return
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
        smtp.send(body)

    def _data_pipelined(self, message, body):
        """MAIL, RCPT and DATA in one write, their answers read together (RFC 2920, when
        the server offers PIPELINING): one round trip where there were three. A refusal
        of MAIL or RCPT makes the server refuse DATA too (no valid recipient); should it
        accept DATA all the same (another recipient was accepted), the connection is
        dropped mid-DATA, so nothing of the message is committed."""
        smtp = self.smtp
        recipients = message.recipients()
        lines = [f"MAIL FROM:{smtplib.quoteaddr(message.from_email)}"]
        lines += [f"RCPT TO:{smtplib.quoteaddr(recipient)}" for recipient in recipients]
        lines.append("DATA")
        if any("\r" in line or "\n" in line for line in lines):
            raise ValueError("A command line can't contain newlines")
        smtp.send(("\r\n".join(lines) + "\r\n").encode("ascii"))
        replies = [smtp.getreply() for _ in lines]
        refused = next(
            (
                reply
                for reply, accepted in zip(
                    replies, [(250,)] + [(250, 251)] * len(recipients) + [(354,)], strict=True
                )
                if reply[0] not in accepted
            ),
            None,
        )
        if refused is None:
            smtp.send(body)
            return
        if replies[-1][0] == 354:
            # In DATA mode: only hanging up leaves the message uncommitted.
            self.smtp.close()
            self.smtp = None
        else:
            smtp.rset()
        raise SendRefused(*refused)


def _address(value):
    from email.utils import parseaddr

    return parseaddr(value)[1] or value
