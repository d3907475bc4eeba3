from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import applications, pairing, setup

app_name = "programs"

P = f"{TENANT}programs/<int:pk>/"

urlpatterns = [
    # Setting a program up (coordinators) and its pages (everyone who may see it).
    path(f"{TENANT}programs/", setup.program_list, name="list"),
    path(f"{TENANT}programs/new/", setup.program_create, name="create"),
    path(P, setup.program_detail, name="detail"),
    path(f"{P}edit/", setup.program_edit, name="edit"),
    path(f"{P}copy/", setup.program_copy, name="copy"),
    path(f"{P}status/", setup.program_status, name="status"),
    path(f"{P}events/new/", setup.event_create, name="event_create"),
    path(f"{P}events/<int:event_pk>/edit/", setup.event_edit, name="event_edit"),
    path(f"{P}events/<int:event_pk>/delete/", setup.event_delete, name="event_delete"),
    path(f"{P}resources/new/", setup.resource_create, name="resource_create"),
    path(f"{P}resources/<int:resource_pk>/", setup.resource_detail, name="resource"),
    path(f"{P}resources/<int:resource_pk>/file/", setup.resource_file, name="resource_file"),
    path(f"{P}resources/<int:resource_pk>/edit/", setup.resource_edit, name="resource_edit"),
    path(f"{P}resources/<int:resource_pk>/delete/", setup.resource_delete, name="resource_delete"),
    path(f"{P}form/", setup.form_builder, name="form"),
    path(f"{P}form/new/", setup.question_create, name="question_create"),
    path(f"{P}form/<int:question_pk>/edit/", setup.question_edit, name="question_edit"),
    path(f"{P}form/<int:question_pk>/delete/", setup.question_delete, name="question_delete"),
    path(f"{P}form/<int:question_pk>/move/", setup.question_move, name="question_move"),
    # Applications.
    path("join/<str:token>/", applications.join, name="join"),
    path(f"{P}apply/", applications.apply, name="apply"),
    path(f"{P}apply/withdraw/", applications.withdraw, name="withdraw"),
    path(f"{P}apply/new-partner/", applications.new_partner, name="new_partner"),
    path(f"{P}applications/", applications.application_list, name="applications"),
    path(f"{P}applications/import/", applications.applications_import, name="applications_import"),
    path(f"{P}applications/add/", applications.application_add, name="application_add"),
    path(f"{P}applications/export/", applications.applications_export, name="applications_export"),
    path(
        f"{P}applications/<int:application_pk>/",
        applications.application_detail,
        name="application",
    ),
    # Pairing.
    path(f"{P}pairing/", pairing.proposal, name="pairing"),
    path(f"{P}pairing/run/", pairing.run_start, name="pairing_run"),
    path(f"{P}pairing/runs/<int:run_pk>/", pairing.run_progress, name="pairing_progress"),
    path(f"{P}pairing/edit/", pairing.proposal_edit, name="pairing_edit"),
    path(f"{P}pairing/exclusions/", pairing.exclusion_create, name="pairing_exclude"),
    path(f"{P}pairing/publish/", pairing.publish, name="pairing_publish"),
    path(f"{P}matches/", pairing.match_list, name="matches"),
    path(f"{P}matches/<int:match_pk>/end/", pairing.match_end, name="match_end"),
]
