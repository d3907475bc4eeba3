"""All django-allauth customisation in one place."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from peercoach.hooks import hooks_run


class AccountAdapter(DefaultAccountAdapter):
    def pre_login(self, request, user, **kwargs):
        """Any sign-in but a single sign-on one (a password, an emailed code) asks the hooks
        `sign_in_other_than_sso` (mandatory single sign-on: peercoach.sso), which may answer
        a refusal page instead."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        if (kwargs.get("signal_kwargs") or {}).get("sociallogin") is None:
            for answer in hooks_run("sign_in_other_than_sso", request=request, user=user):
                if answer is not None:
                    from allauth.account.internal.stagekit import clear_login

                    clear_login(request)
                    return answer
        return None

    def get_login_stages(self):
        """allauth's stages, its authenticator-code stage replaced by ours, which skips the
        code when the sign-in already carried a trusted second factor
        (peercoach.accounts.stages)."""
        from .stages import REPLACES

        return [
            "peercoach.accounts.stages.AuthenticateStage" if path == REPLACES else path
            for path in super().get_login_stages()
        ]

    def is_open_for_signup(self, request):
        # People join through an invitation (accounts:invitation_accept), which
        # creates the account itself; there is no open sign-up form.
        return False

    def send_mail(self, template_prefix, email, context):
        """Render in the request (allauth's templates need it), then hand the message to
        the outbox (`notifications.services.message_queue`): a row of the delivery
        ledger, stored rendered, sent after commit, its bodies cleared once sent.

        allauth's messages belong to no organisation; the row goes to the organisation
        of the person's oldest membership (any would do: it only decides which
        organisation's ledger holds the row). Someone with no membership (an operator,
        a person removed from every organisation, an address with no account) has no
        ledger to write to: the message is queued after commit, and sent at once from
        this process if the broker refuses it, so a broker outage still loses nothing
        and answers no error page (only an SMTP server down as well would).
        """
        user, organization = _person_of(context.get("user"), email)
        # In the person's own language, else their organisation's, else the request's
        # (a visitor asking for a password reset reads the page's language).
        language = _language_of(user, email, organization)
        with translation.override(language or translation.get_language()):
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
        rendered = {
            "subject": message.subject,
            "text": text,
            "html": html,
            "from_email": message.from_email,
        }
        if organization is not None:
            from peercoach.notifications.services import message_queue

            message_queue(
                template="",
                to=list(message.to),
                context={},
                organization=organization,
                rendered=rendered,
            )
            return
        from django.db import transaction

        transaction.on_commit(lambda: _send_site_message(rendered, list(message.to)), robust=True)


def _person_of(user, email):
    """(the person, or None; the organisation of their oldest membership, or None)."""
    from django_scopes import scopes_disabled

    from peercoach.accounts.models import User
    from peercoach.tenancy.models import Membership

    with scopes_disabled():
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        if user is None or user.pk is None:
            return None, None
        membership = (
            Membership.objects.filter(user=user)
            .select_related("organization")
            .order_by("created_at", "pk")
            .first()
        )
    return user, (membership.organization if membership else None)


def _language_of(user, email, organization):
    """The person's chosen language, else their organisation's default, else ""."""
    from peercoach.tenancy.languages import supported

    own = supported(getattr(user, "language", "")) if user is not None else ""
    return own or supported(organization.default_language if organization else "")


def _send_site_message(rendered, to):
    """Queue a message of no organisation; send it here if the broker refuses it."""
    import logging

    from peercoach.notifications.services import NO_PUBLISH_RETRY, email_send_rendered
    from peercoach.notifications.tasks import send_rendered_email

    try:
        send_rendered_email.apply_async(
            kwargs={**rendered, "to": to}, retry_policy=NO_PUBLISH_RETRY
        )
    except Exception:
        logging.getLogger(__name__).warning(
            "Broker unreachable: sending an account email from the web process.",
            exc_info=True,
        )
        email_send_rendered(**rendered, to=to)
