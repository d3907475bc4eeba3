"""Forms of the single sign-on settings: the organisation's identity provider and the email
domains it claims. The client secret is write-only: never rendered back, an empty field
keeps the stored one."""

import contextlib
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from . import metadata
from .models import EmailDomain, IdentityProvider

# Letters, digits and hyphens per label, no hyphen at either end, two labels at least,
# a top-level label that is not all digits (so no IP addresses).
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)

# The fields saved as entered; the secret and the SAML values read from the metadata are
# handled apart (IdentityProviderForm.changes).
PROVIDER_FIELDS = (
    "protocol",
    "enabled",
    "button_label",
    "issuer",
    "client_id",
    "metadata_url",
    "metadata_xml",
    "attribute_email",
    "attribute_first_name",
    "attribute_last_name",
    "required_for",
    "allow_join",
    "trust_idp_mfa",
)
METADATA_FIELDS = ("idp_entity_id", "idp_sso_url", "idp_x509cert")


class IdentityProviderForm(forms.ModelForm):
    """The organisation's provider. On save, an OpenID Connect issuer is checked against
    its discovery document and SAML metadata is read (entity id, sign-in URL, signing
    certificate), whenever what they depend on changed or sign-in is being turned on."""

    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: it is never shown again. Leave empty to keep the stored secret."),
    )
    remove_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)

    class Meta:
        model = IdentityProvider
        fields = PROVIDER_FIELDS
        widgets = {
            "protocol": forms.RadioSelect,
            "metadata_xml": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            "issuer": forms.URLInput(attrs={"spellcheck": "false"}),
            "metadata_url": forms.URLInput(attrs={"spellcheck": "false"}),
        }
        labels = {
            "protocol": _("Protocol"),
            "enabled": _("Sign-in through this provider is on"),
            "issuer": _("Issuer URL"),
            "client_id": _("Client ID"),
            "metadata_url": _("Metadata URL"),
            "metadata_xml": _("Or the metadata XML"),
            "required_for": _("Single sign-on is required for"),
            "allow_join": _("Anyone from this provider may join as a participant"),
            "trust_idp_mfa": _("Two-factor done at the provider counts for coordinators"),
        }
        help_texts = {
            "enabled": _(
                "While it is off, the settings are kept but nobody is sent to the provider."
            ),
            "issuer": _(
                "For example https://login.microsoftonline.com/<tenant-id>/v2.0, "
                "https://accounts.google.com or https://<your-org>.okta.com. It is checked "
                "against the provider's discovery document when you save."
            ),
            "metadata_url": _(
                "Where the identity provider publishes its SAML metadata; it is read when "
                "you save, and again when people sign in."
            ),
            "metadata_xml": _("Paste the metadata here when the provider does not publish it."),
            "attribute_email": _("The SAML attribute that carries the email address."),
            "required_for": _(
                "Those people can no longer sign in with a password: they are sent to the "
                "provider. Platform operators always keep their password sign-in, for when the "
                "provider is down."
            ),
            "allow_join": _(
                "Off: the provider signs in existing members and people with an open "
                "invitation only. On: anyone else it signs in whose address is in a confirmed "
                "domain below becomes a participant."
            ),
        }

    def __init__(self, *args, organization, **kwargs):
        self.organization = organization
        self.stored = kwargs.get("instance")
        if self.stored is None:
            self.stored = IdentityProvider(organization=organization)
            kwargs["instance"] = self.stored
        # The values before this POST: a ModelForm writes the posted ones onto its instance.
        self.before = {name: getattr(self.stored, name) for name in PROVIDER_FIELDS}
        self.has_secret = bool(self.stored.client_secret)
        self.read_metadata = {}
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = IdentityProvider.Protocol.choices
        self.fields["required_for"].choices = IdentityProvider.Required.choices

    def _changed_or_turned_on(self, data, *names):
        turned_on = data.get("enabled") and not self.before["enabled"]
        return turned_on or any(data.get(name) != self.before[name] for name in names)

    def clean(self):
        data = super().clean()
        protocol = data.get("protocol")
        if protocol == IdentityProvider.Protocol.OIDC:
            self._clean_oidc(data)
        elif protocol == IdentityProvider.Protocol.SAML:
            self._clean_saml(data)
        if data.get("required_for") and not data.get("enabled"):
            self.add_error(
                "required_for",
                _("Turn sign-in through the provider on before you require it."),
            )
        if data.get("client_secret") and data.get("remove_secret"):
            self.add_error("client_secret", _("Either enter a new secret or remove it, not both."))
        return data

    def _clean_oidc(self, data):
        for name in ("issuer", "client_id"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("OpenID Connect needs this."))
        secret_after = data.get("client_secret") or (
            self.has_secret and not data.get("remove_secret")
        )
        if data.get("enabled") and not secret_after:
            self.add_error(
                "client_secret", _("Enter the client secret before you turn sign-in on.")
            )
        issuer = data.get("issuer")
        checked = issuer and "issuer" not in self.errors
        if checked and self._changed_or_turned_on(data, "issuer", "protocol"):
            try:
                metadata.oidc_discover(issuer)
            except ValidationError as exc:
                self.add_error("issuer", exc)

    def _clean_saml(self, data):
        url, xml = data.get("metadata_url"), data.get("metadata_xml", "").strip()
        if url and xml:
            self.add_error("metadata_xml", _("Give either the metadata URL or the XML, not both."))
            return
        if not url and not xml:
            if "metadata_url" not in self.errors:
                self.add_error("metadata_url", _("SAML needs the metadata URL or its XML."))
            return
        if not data.get("attribute_email"):
            self.add_error("attribute_email", _("Name the attribute that carries the email."))
        if self._changed_or_turned_on(data, "metadata_url", "metadata_xml", "protocol"):
            try:
                read = metadata.saml_metadata_parse(url=url, xml=xml)
            except ValidationError as exc:
                self.add_error("metadata_url" if url else "metadata_xml", exc)
                return
            self.read_metadata = {
                "idp_entity_id": read["entity_id"],
                "idp_sso_url": read["sso_url"],
                "idp_x509cert": read["x509cert"],
            }

    def changes(self):
        """{field: value} to store: the fields as entered, the values read from SAML
        metadata, and `client_secret` only when it is replaced or removed."""
        data = self.cleaned_data
        changes = {name: data[name] for name in PROVIDER_FIELDS}
        changes["metadata_xml"] = changes["metadata_xml"].strip()
        changes.update(self.read_metadata)
        if data["protocol"] == IdentityProvider.Protocol.OIDC:
            changes.update(metadata_url="", metadata_xml="", **dict.fromkeys(METADATA_FIELDS, ""))
        else:
            changes.update(issuer="", client_id="")
        if data.get("client_secret"):
            changes["client_secret"] = data["client_secret"]
        elif data.get("remove_secret") or data["protocol"] == IdentityProvider.Protocol.SAML:
            changes["client_secret"] = ""
        return changes


def domain_normalise(value):
    """`value` as stored: lower case, no trailing dot, internationalised names in their
    ASCII (xn--) form; ValidationError when it is not a domain name."""
    value = value.strip().lower().rstrip(".")
    if value.startswith("@"):
        value = value[1:]
    with contextlib.suppress(UnicodeError):  # the pattern below refuses what is left
        value = value.encode("idna").decode("ascii")
    if not DOMAIN_RE.match(value):
        raise ValidationError(
            _("Enter a domain name such as oneit.example.org, without “@” or spaces."),
            code="domain",
        )
    return value


class EmailDomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Email domain"),
        max_length=253,
        help_text=_(
            "The part after “@” of your people's addresses, e.g. oneit.example.org. An "
            "operator confirms it before sign-in uses it."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
    )

    def __init__(self, *args, organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)

    def clean_domain(self):
        domain = domain_normalise(self.cleaned_data["domain"])
        with scopes_disabled():
            claims = list(
                EmailDomain.objects.filter(domain=domain).values_list(
                    "organization_id", "confirmed_at"
                )
            )
        for organization_id, confirmed_at in claims:
            if organization_id == self.organization.pk:
                raise ValidationError(
                    _("%(domain)s is already on the list.") % {"domain": domain}, code="claimed"
                )
            if confirmed_at is not None:
                raise ValidationError(
                    _(
                        "%(domain)s is confirmed for another organisation. If it should move "
                        "to yours, write to the operators."
                    )
                    % {"domain": domain},
                    code="taken",
                )
        return domain
