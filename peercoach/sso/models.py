"""Single sign-on per organisation: its identity provider and the email domains it claims.

One organisation has at most one identity provider, OpenID Connect or SAML 2.0. django-allauth
speaks the protocols; `peercoach.sso.providers` turns each enabled row into the SocialApp
allauth asks for, so the configuration lives here, per tenant, and nowhere else.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import Organization, TenantModel

# SAML attribute names most identity providers release (eduPerson / InCommon OIDs).
SAML_EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
SAML_FIRST_NAME = "urn:oid:2.5.4.42"
SAML_LAST_NAME = "urn:oid:2.5.4.4"


class IdentityProvider(TenantModel):
    class Protocol(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        SAML = "saml", _("SAML 2.0")

    class Required(models.TextChoices):
        NOBODY = "", _("Nobody: passwords still work")
        PARTICIPANTS = "participants", _("Participants")
        COORDINATORS = "coordinators", _("Coordinators")
        EVERYONE = "everyone", _("Everyone")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identity_providers"
    )
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices)
    enabled = models.BooleanField(_("sign-in through this provider is on"), default=False)
    button_label = models.CharField(
        _("button text"),
        max_length=100,
        blank=True,
        help_text=_("What the sign-in button says, e.g. “Sign in with your university account”."),
    )
    # OpenID Connect: discovered from <issuer>/.well-known/openid-configuration.
    issuer = models.URLField(_("issuer URL"), blank=True)
    client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    # Write-only: forms never show it back, logs never print it.
    client_secret = models.CharField(_("client secret"), max_length=500, blank=True)
    # SAML 2.0: from the metadata URL, else from the metadata XML pasted in (parsed on save
    # into the entity id, the sign-in URL and the signing certificate).
    metadata_url = models.URLField(_("metadata URL"), blank=True)
    metadata_xml = models.TextField(_("metadata XML"), blank=True)
    idp_entity_id = models.CharField(_("identity provider entity ID"), max_length=500, blank=True)
    idp_sso_url = models.URLField(_("identity provider sign-in URL"), blank=True)
    idp_x509cert = models.TextField(_("identity provider signing certificate"), blank=True)
    attribute_email = models.CharField(
        _("email attribute"), max_length=255, blank=True, default=SAML_EMAIL
    )
    attribute_first_name = models.CharField(
        _("first name attribute"), max_length=255, blank=True, default=SAML_FIRST_NAME
    )
    attribute_last_name = models.CharField(
        _("last name attribute"), max_length=255, blank=True, default=SAML_LAST_NAME
    )
    # Who may come in, and who must.
    required_for = models.CharField(
        _("single sign-on is required for"),
        max_length=20,
        blank=True,
        choices=Required.choices,
        default=Required.NOBODY,
    )
    allow_join = models.BooleanField(
        _("anyone from this provider may join as a participant"), default=False
    )
    trust_idp_mfa = models.BooleanField(
        _("two-factor done at the provider counts for coordinators"),
        default=False,
        help_text=_(
            "When the provider says the person used a second factor (OpenID Connect “amr”, "
            "SAML authentication context), coordinators need no authenticator app here."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="identityprovider_one_per_org"),
            models.UniqueConstraint(fields=["organization", "id"], name="identityprovider_org_id"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.get_protocol_display()}"

    @property
    def key(self):
        """allauth's name for this provider: the organisation's slug (an OpenID Connect
        `provider_id`, a SAML `organization_slug`), so its URLs read /accounts/oidc/<slug>/
        and /accounts/saml/<slug>/."""
        return self.organization.slug


class EmailDomain(TenantModel):
    """A domain an organisation claims, e.g. "oneit.example.org". Sign-in routes an address
    of a confirmed domain to the organisation's provider; only an operator confirms, and a
    domain is confirmed for one organisation at most."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="email_domains"
    )
    domain = models.CharField(_("domain"), max_length=253)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("email domain")
        verbose_name_plural = _("email domains")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="emaildomain_unique"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(confirmed_at__isnull=False),
                name="emaildomain_confirmed_once",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="emaildomain_org_id"),
        ]

    def __str__(self):
        return self.domain

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None


class UsedAssertion(TenantModel):
    """A SAML assertion an organisation's provider has already signed someone in with.

    An assertion is good once: its ID is recorded when it is consumed, and the unique
    constraint refuses a second use, even from two requests at the same moment. A row is
    needed only while the assertion could still be accepted (until its NotOnOrAfter, plus
    the clock drift python3-saml allows); older rows are deleted as new ones are written.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=255)
    not_on_or_after = models.DateTimeField()
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("used SAML assertion")
        verbose_name_plural = _("used SAML assertions")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "assertion_id"], name="usedassertion_once"
            ),
        ]
        indexes = [models.Index(fields=["not_on_or_after"], name="usedassertion_expiry")]

    def __str__(self):
        return self.assertion_id
