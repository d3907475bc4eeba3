from django.urls import path

from peercoach.tenancy.urls import TENANT

from . import views

app_name = "accounts"

urlpatterns = [
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("accounts/profile/", views.profile, name="profile"),
    path("language/", views.language, name="language"),
    path(f"{TENANT}me/export/", views.my_data, name="my_data"),
    path(f"{TENANT}me/delete/", views.delete_account, name="delete_account"),
    path(f"{TENANT}people/", views.people, name="people"),
    path(f"{TENANT}people/invite/", views.invite, name="invite"),
    path(f"{TENANT}people/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(f"{TENANT}people/invite/csv/", views.invite_csv, name="invite_csv"),
    path(
        f"{TENANT}people/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        f"{TENANT}people/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
