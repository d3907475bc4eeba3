"""Operators see who each organisation's IdP provisioned and whether a token exists. Tokens
are made by coordinators on the provisioning page (shown once); deleting one here revokes
it. Nothing here shows a token or its digest."""

from django.contrib import admin

from .models import ScimToken, ScimUser


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ["organization", "hint", "created_by", "created_at", "last_used_at"]
    fields = ["organization", "hint", "created_by", "created_at", "last_used_at"]
    readonly_fields = fields
    list_select_related = ["organization", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    list_display = ["user_name", "organization", "user", "active", "updated_at"]
    list_filter = ["active", "organization"]
    search_fields = ["user_name", "user__email", "external_id"]
    list_select_related = ["organization", "user"]
    readonly_fields = [
        "organization",
        "user",
        "scim_id",
        "user_name",
        "external_id",
        "given_name",
        "family_name",
        "emails",
        "active",
        "created_account",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        # Provisioning goes through services (memberships, audit), never a bare row.
        return False

    def has_change_permission(self, request, obj=None):
        return False
