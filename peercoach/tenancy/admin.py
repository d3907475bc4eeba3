from django.contrib import admin

from .models import Membership

# The Organization admin is in peercoach/accounts/admin.py: its action sends invitations,
# which are accounts' (a layer above this one).


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
