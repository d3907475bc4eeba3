"""Email as a subject / text / HTML triple of templates.

A message named NAME lives in `templates/emails/NAME/{subject.txt,body.txt,body.html}`.
Rendering happens in the organisation's time zone and with its branding.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def absolute_url(path):
    """The full address of a path of this site, for links in emails and calendar files."""
    return settings.SITE_URL + path


def email_render(*, template, context, organization=None):
    """Return (subject, text, html) for the named template. The subject is one line."""
    context = {
        **context,
        "organization": organization,
        "site_url": settings.SITE_URL,
    }
    zone = organization.time_zone if organization else settings.TIME_ZONE
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
