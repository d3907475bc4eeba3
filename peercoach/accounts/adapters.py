"""All django-allauth customisation in one place."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # People join through an invitation (accounts:invitation_accept), which
        # creates the account itself; there is no open sign-up form.
        return False

    def send_mail(self, template_prefix, email, context):
        """Render in the request, send from the `email` queue after commit."""
        from peercoach.notifications.tasks import send_rendered_email

        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                body
                for body, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        text = message.body if message.content_subtype == "plain" else ""
        if message.content_subtype == "html":
            html = message.body
        send_rendered_email.delay_on_commit(
            subject=message.subject,
            text=text,
            html=html,
            to=list(message.to),
            from_email=message.from_email,
        )
