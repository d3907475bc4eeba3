"""One-click unsubscribe links: a signed token names the person, organisation and kind."""

from django.core import signing
from django.urls import reverse

from peercoach.web.urls import absolute_url

SALT = "peercoach.notifications.unsubscribe"


def unsubscribe_token(*, organization_id, user_id, kind):
    return signing.dumps({"o": organization_id, "u": user_id, "k": kind}, salt=SALT, compress=True)


def unsubscribe_read(token):
    """(organization_id, user_id, kind), or None for a token we did not sign."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    try:
        return int(data["o"]), int(data["u"]), str(data["k"])
    except (KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(*, organization_id, user_id, kind):
    token = unsubscribe_token(organization_id=organization_id, user_id=user_id, kind=kind)
    return absolute_url(reverse("notifications:unsubscribe", kwargs={"token": token}))
