"""The person's own data: download it, or delete the account.

Both pages are about the signed-in person alone, so every member of the organisation
reaches them; nobody can reach anyone else's.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_scopes import scopes_disabled

from peercoach.tenancy.models import Membership
from peercoach.web.ratelimit import over_limit

from ..services.data import AccountDeleteError, account_delete, data_export
from .common import ME

EXPORT_LIMIT, EXPORT_PERIOD = 5, 3600
PASSWORD_LIMIT, PASSWORD_PERIOD = 5, 900


@never_cache
def export(request, org_slug):
    """GET: what the download holds. POST: the zip."""
    organization = request.organization
    if request.method == "POST":
        key = f"sessions:export:{organization.pk}:{request.user.pk}"
        if over_limit(key, limit=EXPORT_LIMIT, period=EXPORT_PERIOD):
            messages.error(
                request,
                _("You downloaded your data %(n)d times in the last hour. Try again later.")
                % {"n": EXPORT_LIMIT},
            )
            return redirect("sessions:export", org_slug=organization.slug)
        content = data_export(organization=organization, user=request.user)
        stamp = timezone.localdate().isoformat()
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="peercoach-{organization.slug}-my-data-{stamp}.zip"'
        )
        return response
    return render(request, "sessions/data/export.html", {"export_limit": EXPORT_LIMIT})


class DeleteAccountForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Type your email address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Your current password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_email(self):
        typed = self.cleaned_data["email"].strip()
        if typed.casefold() != self.user.email.casefold():
            raise forms.ValidationError(
                _("This is not the email address of the account you are signed in with.")
            )
        return typed

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if not password:
            raise forms.ValidationError(_("Enter your current password."))
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This password is not right."))
        return password


def _coordinates_somewhere(user):
    with scopes_disabled():  # the person's roles in every organisation
        return Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).exists()


@never_cache
def delete_account(request, org_slug):
    """GET: what goes and what stays. POST: delete, after typing the email (and the
    current password when the account has one)."""
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST":
        key = f"sessions:delete:{user.pk}"
        if "password" in form.fields and over_limit(
            key, limit=PASSWORD_LIMIT, period=PASSWORD_PERIOD
        ):
            messages.error(request, _("Too many attempts. Wait a few minutes and try again."))
            return redirect("sessions:delete_account", org_slug=request.organization.slug)
        if form.is_valid():
            try:
                account_delete(user=user)
            except AccountDeleteError as exc:
                messages.error(request, exc.messages[0])
                return redirect("sessions:delete_account", org_slug=request.organization.slug)
            logout(request)
            messages.success(
                request,
                _("Your account was deleted. Thank you for taking part in peer coaching."),
            )
            return redirect("home")
    return render(
        request,
        "sessions/data/delete.html",
        {"form": form, "coordinates": _coordinates_somewhere(user)},
    )


urlpatterns = [
    path(f"{ME}export/", export, name="export"),
    path(f"{ME}delete/", delete_account, name="delete_account"),
]
