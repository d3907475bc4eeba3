"""Operators: every organisation's identity provider (the client secret write-only) and
the email domains organisations claim, confirmed here and nowhere else."""

from django import forms
from django.contrib import admin, messages
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record

from .configuration import email_domains_confirm
from .forms import domain_normalise
from .models import EmailDomain, IdentityProvider


class IdentityProviderAdminForm(forms.ModelForm):
    """The stored secret is never rendered: the field starts empty, and empty keeps it."""

    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: leave empty to keep the stored secret."),
    )
    remove_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)

    class Meta:
        model = IdentityProvider
        fields = [
            "organization",
            "protocol",
            "enabled",
            "button_label",
            "issuer",
            "client_id",
            "client_secret",
            "metadata_url",
            "metadata_xml",
            "idp_entity_id",
            "idp_sso_url",
            "idp_x509cert",
            "attribute_email",
            "attribute_first_name",
            "attribute_last_name",
            "required_for",
            "allow_join",
            "trust_idp_mfa",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_secret = self.instance.client_secret if self.instance.pk else ""
        self.initial["client_secret"] = ""
        self.fields["client_secret"].help_text = (
            _("A secret is stored. Leave empty to keep it.")
            if self.stored_secret
            else _("No secret yet.")
        )

    def clean_client_secret(self):
        entered = self.cleaned_data.get("client_secret", "")
        if self.cleaned_data.get("remove_secret"):
            return ""
        return entered or self.stored_secret

    def clean(self):
        data = super().clean()
        # remove_secret is cleaned after client_secret: decide here with both known.
        if data.get("remove_secret"):
            data["client_secret"] = ""
        return data


SECRET_FIELDS = ("client_secret", "remove_secret")


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderAdminForm
    list_display = ["organization", "protocol", "enabled", "required_for", "allow_join"]
    list_filter = ["protocol", "enabled", "required_for"]
    search_fields = ["organization__name", "organization__slug", "issuer", "idp_entity_id"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["updated_at", "updated_by"]

    # Error reports (a 500 mailed to the admins) show "********" for the secret.
    @method_decorator(sensitive_post_parameters("client_secret"))
    def changeform_view(self, request, *args, **kwargs):
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name not in SECRET_FIELDS]
        if form.cleaned_data.get("remove_secret"):
            changed.append("client_secret removed")
        elif form.data.get("client_secret"):
            changed.append("client_secret set")
        if changed or not change:
            audit_record(
                organization=obj.organization,
                action=Action.SSO_SETTINGS_CHANGED,
                request=request,
                target=obj,
                summary="Changed in the operator admin: " + ", ".join(changed),
            )


class EmailDomainAdminForm(forms.ModelForm):
    class Meta:
        model = EmailDomain
        fields = ["organization", "domain"]

    def clean_domain(self):
        return domain_normalise(self.cleaned_data["domain"])


@admin.register(EmailDomain)
class EmailDomainAdmin(admin.ModelAdmin):
    form = EmailDomainAdminForm
    list_display = ["domain", "organization", "claimed_at", "confirmed_at", "confirmed_by"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter), "organization"]
    search_fields = ["domain", "organization__name"]
    list_select_related = ["organization", "confirmed_by"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["claimed_by", "claimed_at", "confirmed_at", "confirmed_by"]
    actions = ["confirm"]

    @admin.action(description=_("Confirm the selected domains"))
    def confirm(self, request, queryset):
        """Each domain is confirmed for its organisation unless another organisation has it
        confirmed already: then it is named in a warning and left waiting."""
        confirmed, refused = email_domains_confirm(claims=queryset, actor=request.user)
        if confirmed:
            self.message_user(
                request,
                _("Confirmed: %(domains)s.")
                % {"domains": ", ".join(f"{c.domain} ({c.organization})" for c in confirmed)},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                _(
                    "Not confirmed, already confirmed for another organisation: %(domains)s. "
                    "Remove that organisation's claim first if the domain should move."
                )
                % {"domains": ", ".join(f"{c.domain} ({c.organization})" for c in refused)},
                messages.ERROR,
            )
