"""What a single sign-on left in the session: which organisations' providers signed it in.

Two session keys, lists of organisation ids:
- `sso_orgs`: organisations whose identity provider signed this session in (the gate of
  mandatory single sign-on, `peercoach.sso.middleware.SsoRequiredMiddleware`, reads it);
- `sso_mfa_orgs`: those of them whose provider said the person used a second factor (the
  coordinator two-factor rule reads it when the organisation trusts its provider's MFA).

Signing out flushes the session, so both go with it. Signing in through a second
organisation's provider as the same person keeps the first one's marks (allauth signs the
session out and in again; `sso_marks_carry` and `sso_session_record` bridge that).
"""

SSO_ORGS = "sso_orgs"
SSO_MFA_ORGS = "sso_mfa_orgs"
# Where the adapter leaves its decision on the SocialLogin (its `state` survives allauth's
# login stages, e.g. the authenticator-code step): {"org": id, "mfa": bool, "carry": {...}}.
STATE_KEY = "peercoach_sso"

# RFC 8176 authentication method references that mean a second factor (or a factor beyond
# a password) was used.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fpt", "iris", "retina", "face"})
# SAML authentication context classes that mean multi-factor.
MFA_AUTHN_CONTEXTS = frozenset(
    {
        "https://refeds.org/profile/mfa",
        "http://schemas.microsoft.com/claims/multipleauthn",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
    }
)


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(item) for item in value]
    except TypeError:
        return [str(value)]


def mfa_asserted(sociallogin):
    """True when the provider said a second factor was used, read from what allauth kept
    of the answer (`sociallogin.account.extra_data`):

    - OpenID Connect: the ID token's / userinfo's `amr` (a list, RFC 8176) contains one of
      `MFA_AMR`; allauth's openid_connect provider keeps the userinfo and, under
      "id_token", the ID token's claims (both are looked at);
    - SAML: an AuthnContextClassRef in `MFA_AUTHN_CONTEXTS`, under the keys
      "authn_context" / "AuthnContextClassRef" (the SAML code puts it there) or as an
      attribute of that name.

    Never raises: anything unreadable means "not asserted".
    """
    extra = getattr(getattr(sociallogin, "account", None), "extra_data", None)
    if not isinstance(extra, dict):
        return False
    sources = [extra]
    for nested in ("id_token", "userinfo"):
        if isinstance(extra.get(nested), dict):
            sources.append(extra[nested])
    for source in sources:
        if {value.lower() for value in _as_list(source.get("amr"))} & MFA_AMR:
            return True
        for key in ("authn_context", "AuthnContextClassRef", "authn_contexts"):
            if set(_as_list(source.get(key))) & MFA_AUTHN_CONTEXTS:
                return True
    return False


def sso_marks_carry(request, *, user):
    """The marks of this session when it is already `user`'s (allauth signs the same person
    out and in again on a second provider's answer): {"orgs": [...], "mfa": [...]}."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"orgs": [], "mfa": []}
    if user is None or request.user.pk != user.pk:
        return {"orgs": [], "mfa": []}
    return {
        "orgs": list(request.session.get(SSO_ORGS, [])),
        "mfa": list(request.session.get(SSO_MFA_ORGS, [])),
    }


def sso_session_record(request, *, organization_id, mfa, carry=None):
    """Mark the session as signed in by the provider of organisation `organization_id` (and,
    when `mfa`, as having used a second factor there). `carry` adds the marks of the
    session this one replaced (same person). Idempotent; writes only the session."""
    carry = carry or {}
    orgs = list(dict.fromkeys([*carry.get("orgs", []), *request.session.get(SSO_ORGS, [])]))
    mfa_orgs = list(dict.fromkeys([*carry.get("mfa", []), *request.session.get(SSO_MFA_ORGS, [])]))
    if organization_id not in orgs:
        orgs.append(organization_id)
    if mfa and organization_id not in mfa_orgs:
        mfa_orgs.append(organization_id)
    elif not mfa and organization_id in mfa_orgs:
        # The newest answer of this provider decides.
        mfa_orgs.remove(organization_id)
    request.session[SSO_ORGS] = orgs
    request.session[SSO_MFA_ORGS] = mfa_orgs


def sso_signed_in(request, *, organization):
    """True when `organization`'s provider signed this session in."""
    return organization.pk in request.session.get(SSO_ORGS, [])


def sso_mfa_done(request, *, organization):
    """True when `organization`'s provider asserted a second factor for this session."""
    return organization.pk in request.session.get(SSO_MFA_ORGS, [])


def sso_logged_in_receiver(sender, request, user, sociallogin=None, **kwargs):
    """allauth's `user_logged_in`: after a sign-in through an organisation's provider (the
    adapter left its decision in `sociallogin.state`), record the marks in the new session.
    The session was cycled or flushed by the sign-in, hence here and not earlier."""
    if sociallogin is None or request is None:
        return
    marks = (sociallogin.state or {}).get(STATE_KEY)
    if not marks:
        return
    sso_session_record(
        request, organization_id=marks["org"], mfa=marks.get("mfa"), carry=marks.get("carry")
    )
