"""A reminder as the bytes of an SMTP DATA section.

Django's `EmailMessage.message()` builds with the modern `email.policy.default`, whose
header registry parses every header it is handed, and the standard library's generator
then walks the tree again to write it: 1.1 ms for a reminder of 3 kB, more than
rendering its three templates and several times the SMTP exchange itself. The legacy
`email.mime` classes under `compat32` still take 0.6 ms. A reminder has a fixed, simple
shape, so the SMTP path of the ledger writes it directly (0.02 ms):

    multipart/mixed            (only with attachments)
      multipart/alternative    (only with an HTML version)
        text/plain; charset=utf-8, quoted-printable
        text/html;  charset=utf-8, quoted-printable
      text/calendar attachment, quoted-printable

The encodings come from the standard library (`binascii.b2a_qp` for bodies,
`email.header.Header` for a subject that is not ASCII); boundaries start with "=_",
which quoted-printable text cannot contain (RFC 2045). Long headers are not folded
(RFC 5322 allows 998), so List-Unsubscribe stays a plain <URL> (RFC 2369/8058).
Anything outside that shape (addresses that are not ASCII, binary attachments, unusual
file names) goes through Django's own `message()`. tests/notifications/test_wire.py
parses both with the standard library and compares them.
"""

import binascii
import re
import uuid
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from django.conf import settings

CRLF = "\r\n"
# Set from the message's own fields, never from its extra headers.
OWN_HEADERS = {"from", "to", "cc", "bcc", "reply-to"}
SAFE_FILENAME = re.compile(r"[A-Za-z0-9._ -]{1,100}\Z")


def message_id(local_part=None):
    """A Message-ID in the site's own domain (the host of SITE_URL), never the machine's
    name, which is `localhost` in a container: `<local_part@domain>`, or a unique one."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    if local_part is None:
        return make_msgid(domain=domain)
    return f"<{local_part}@{domain}>"


def message_bytes(message):
    """`message` (a Django EmailMessage) as CRLF bytes, before the SMTP dot-stuffing."""
    if not _plain(message):
        mime = message.message()
        return mime.as_bytes(policy=mime.policy.clone(linesep=CRLF))
    content_type, body = _text(message.body, message.content_subtype)
    alternatives = getattr(message, "alternatives", ())
    if alternatives:
        parts = [(content_type, body)] + [_text(c, _subtype(m)) for c, m in alternatives]
        content_type, body = _multipart("alternative", parts)
    if message.attachments:
        parts = [(content_type, body)]
        for filename, content, mimetype in message.attachments:
            part_type, part_body = _text(content, _subtype(mimetype))
            disposition = f'Content-Disposition: attachment; filename="{filename}"'
            parts.append((f"{part_type}{CRLF}{disposition}", part_body))
        content_type, body = _multipart("mixed", parts)

    headers = {
        "Subject": str(message.subject),
        "From": message.from_email,
        "To": ", ".join(message.to),
        "Cc": ", ".join(message.cc),
        "Reply-To": ", ".join(message.reply_to),
        "Date": format_datetime(datetime.now(UTC)),
        "Message-ID": message_id(),
    }
    for name, value in message.extra_headers.items():
        if name.lower() not in OWN_HEADERS:
            headers[_key(headers, name)] = str(value)
    lines = []
    for name, value in headers.items():
        if not value:
            continue
        if "\n" in value or "\r" in value:
            raise ValueError(f"Header values can't contain newlines ({name})")
        lines.append(f"{name}: {_encoded(value)}")
    lines += ["MIME-Version: 1.0", content_type]
    return (CRLF.join(lines) + CRLF + CRLF).encode("ascii") + body


def _plain(message):
    """True when the shape above covers everything in `message`."""
    addresses = [message.from_email, *message.to, *message.cc, *message.reply_to]
    if not all(address.isascii() for address in addresses):
        return False
    return all(
        isinstance(content, str)
        and mimetype.startswith("text/")
        and SAFE_FILENAME.match(filename or "")
        for filename, content, mimetype in message.attachments
    ) and all(mimetype.startswith("text/") for _, mimetype in getattr(message, "alternatives", ()))


def _text(content, subtype):
    """(Content-Type and encoding lines, body bytes) of one text part."""
    data = content.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        "Content-Transfer-Encoding: quoted-printable"
    )
    return head, encoded


def _multipart(subtype, parts):
    boundary = "=_" + uuid.uuid4().hex
    delimiter = f"--{boundary}\r\n".encode("ascii")
    chunks = []
    for head, body in parts:
        # The CRLF before a delimiter belongs to the delimiter, not to the body.
        chunks += [delimiter, head.encode("ascii"), b"\r\n\r\n", body, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"', b"".join(chunks)


def _subtype(mimetype):
    return mimetype.split(";", 1)[0].split("/", 1)[1].strip()


def _encoded(value):
    """A header value, as RFC 2047 encoded words when it is not ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep=CRLF)


def _key(headers, name):
    """The key of `headers` that `name` overrides (header names ignore case)."""
    for key in headers:
        if key.lower() == name.lower():
            return key
    return name
