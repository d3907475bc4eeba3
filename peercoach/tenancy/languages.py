"""Which language a person gets: their own choice, else their organisation's default,
else (on a page) the browser's, else English.

`language_of` is the rule for what is sent or issued without a request (emails,
reminders, invitations): the person's choice, else the organisation's default, else
settings.LANGUAGE_CODE. `LanguageMiddleware` applies the same rule to a request, with the
browser's language (Django's LocaleMiddleware: the language cookie, then
Accept-Language) between the organisation and English.
"""

from django.conf import settings
from django.utils import translation

from .middleware import TENANT_PATH
from .selectors import membership_in, memberships_for_request


def supported(code):
    """`code` when it is one of settings.LANGUAGES, else ""."""
    return code if code and code in dict(settings.LANGUAGES) else ""


def language_of(user=None, organization=None):
    """The language to write to `user` in (None: someone without an account, e.g. an
    invitee): their choice, else `organization`'s default, else LANGUAGE_CODE."""
    return (
        supported(getattr(user, "language", "") if user is not None else "")
        or supported(organization.default_language if organization is not None else "")
        or settings.LANGUAGE_CODE
    )


def override_for(user=None, organization=None):
    """`translation.override` of `language_of(user, organization)`."""
    return translation.override(language_of(user, organization))


def request_language(request):
    """The signed-in person's language for this request, or "" to keep the browser's.

    Their choice; else, under /o/<slug>/, that organisation's default; elsewhere the
    default their organisations agree on (their only organisation's, in the usual case;
    none when two of them differ). The memberships are the ones the tenant middleware
    and the organisation switcher read anyway (one query per request, shared)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    own = supported(getattr(user, "language", ""))
    if own:
        return own
    match = TENANT_PATH.match(request.path_info)
    if match is not None:
        membership = membership_in(request, slug=match["slug"])
        return supported(membership.organization.default_language) if membership else ""
    defaults = {m.organization.default_language for m in memberships_for_request(request)}
    return supported(defaults.pop()) if len(defaults) == 1 else ""


class LanguageMiddleware:
    """After authentication (and Django's LocaleMiddleware, which chose the browser's
    language): activate the person's or their organisation's language, if any."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request_language(request)
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def activate_on_sign_in(sender, request, user, **kwargs):
    """`user_logged_in`: the sign-in request began in the browser's language (nobody was
    known yet); what it still writes - allauth's "Signed in as..." message - is in the
    person's own, as every page after it."""
    if request is None:
        return
    language = request_language(request)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
