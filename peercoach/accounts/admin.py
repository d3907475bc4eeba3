from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import Membership, Organization

from .models import Invitation, User
from .services import coordinator_invitations_resend, invitation_resend


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language", "time_zone"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organization",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "organization"]
    search_fields = ["email"]
    list_select_related = ["organization"]
    readonly_fields = ["nonce", "sent_nonce", "sent_at", "accepted_by", "accepted_at"]
    actions = ["resend"]

    @admin.action(description=_("Resend the selected invitations (fresh link)"))
    def resend(self, request, queryset):
        """Email each open invitation again with a new link (old links stop working);
        accepted and withdrawn ones are left alone and counted."""
        sent, closed = [], []
        with transaction.atomic():
            for invitation in queryset.select_for_update().order_by("id"):
                if invitation.accepted_at or invitation.revoked_at:
                    closed.append(invitation.email)
                    continue
                invitation_resend(invitation=invitation)
                sent.append(invitation.email)
        if sent:
            self.message_user(
                request,
                _("Emailed again with a fresh link: %(emails)s.") % {"emails": ", ".join(sent)},
                messages.SUCCESS,
            )
        if closed:
            self.message_user(
                request,
                _("Not resent, already accepted or withdrawn: %(emails)s.")
                % {"emails": ", ".join(closed)},
                messages.WARNING,
            )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "help_email", "require_coordinator_mfa"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = ["resend_coordinator_invitations"]

    @admin.action(description=_("Resend the open coordinator invitations (fresh links)"))
    def resend_coordinator_invitations(self, request, queryset):
        """A new organisation's first coordinator missed the email: send it again."""
        for organization in queryset.order_by("name"):
            sent = coordinator_invitations_resend(organization=organization)
            if sent:
                self.message_user(
                    request,
                    _("%(org)s: emailed again to %(emails)s.")
                    % {"org": organization.name, "emails": ", ".join(i.email for i in sent)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(org)s: no open coordinator invitation to resend.")
                    % {"org": organization.name},
                    messages.WARNING,
                )
