"""The SMTP path's own message writer (`wire.message_bytes`) against Django's
`EmailMessage.message()`: both parsed back with the standard library must carry the
same headers, the same parts and the same decoded text."""

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives

from peercoach.notifications.wire import message_bytes

TEXT = (
    "Hello Zoë,\n"
    ".a line that starts with a dot\n"
    "an equals sign = and 100% café\n"
    "trailing spaces   \n" + "a long line " * 20 + "\n\nEnd.\n"
)
HTML = '<p>Hello <b>Zoë</b>, see <a href="https://example.org/x?a=1&amp;b=2">it</a></p>\n'
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:Café = coffee\r\nEND:VCALENDAR\r\n"
UNSUBSCRIBE = "<https://peercoach.example.org/unsubscribe/" + "a1b2c3" * 30 + "/>"


def _message(subject="Sign your agreement", to=("pat@example.org",), html=True, ics=True):
    message = EmailMultiAlternatives(
        subject=subject,
        body=TEXT,
        from_email="peercoach <noreply@example.org>",
        to=list(to),
        reply_to=["help@example.org"],
        headers={
            "List-Unsubscribe": UNSUBSCRIBE,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": "<delivery-1.2@peercoach>",
        },
    )
    if html:
        message.attach_alternative(HTML, "text/html")
    if ics:
        message.attach("coaching-session.ics", ICS, "text/calendar")
    return message


def _parsed(raw):
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    return email.message_from_bytes(raw, policy=email.policy.default)


def _shape(parsed):
    """Headers a reader sees, then each part: type, file name, decoded text."""
    headers = {
        name: str(parsed[name])
        for name in ("Subject", "From", "To", "Reply-To", "Message-ID", "MIME-Version")
    }
    headers.update({name: parsed[name] for name in ("List-Unsubscribe", "List-Unsubscribe-Post")})
    parts = [
        (
            part.get_content_type(),
            part.get_filename(),
            part.get_content().replace("\r\n", "\n").rstrip("\n"),
        )
        for part in parsed.walk()
        if not part.is_multipart()
    ]
    types = [part.get_content_type() for part in parsed.walk()]
    return headers, types, parts


def _django(message):
    mime = message.message()
    return mime.as_bytes(policy=mime.policy.clone(linesep="\r\n"))


@pytest.mark.parametrize(
    ("subject", "html", "ics"),
    [
        ("Sign your agreement", False, False),
        ("Sign your agreement", True, False),
        ("Your session tomorrow", True, True),
        ("Rappel : séance de coaching – demain 10 h, avec Zoë et Łukasz " * 2, True, True),
    ],
)
def test_ours_reads_back_as_django_s(subject, html, ics):
    message = _message(subject=subject, html=html, ics=ics)
    ours = message_bytes(message)
    assert _shape(_parsed(ours)) == _shape(_parsed(_django(message)))
    date = _parsed(ours)["Date"]
    assert date.datetime.tzinfo is not None


def test_ours_is_the_fast_path_with_seven_bit_lines_and_an_unfolded_unsubscribe_header():
    raw = message_bytes(_message(subject="Séance demain"))
    assert raw.isascii()  # quoted-printable bodies, encoded-word subject
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    [header] = [line for line in lines if line.startswith(b"List-Unsubscribe:")]
    assert header == b"List-Unsubscribe: " + UNSUBSCRIBE.encode()
    assert b"Subject: =?utf-8?" in raw
    # The first body line starting with a dot is left for the SMTP layer to stuff.
    assert b"\r\n.a line that starts with a dot" in raw


def test_an_address_that_is_not_ascii_goes_through_django():
    message = _message(to=["zoë@exämple.org"], html=True, ics=False)
    parsed = _parsed(message_bytes(message))
    assert _shape(parsed) == _shape(_parsed(_django(message)))
    assert "xn--" in str(parsed["To"])  # Django's IDNA encoding of the domain


def test_a_newline_in_a_header_is_refused():
    message = _message()
    message.extra_headers["X-Note"] = "one\r\nBcc: someone@example.org"
    with pytest.raises(ValueError, match="newlines"):
        message_bytes(message)
