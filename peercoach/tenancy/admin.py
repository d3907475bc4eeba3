from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organization


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
        from peercoach.accounts.services import coordinator_invitations_resend

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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
