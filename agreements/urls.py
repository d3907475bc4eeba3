from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import builder, documents, fill

app_name = "agreements"

P = f"{TENANT}programs/<int:pk>/"
A = f"{TENANT}agreements/<int:pk>/"

urlpatterns = [
    # The program's template (coordinators).
    path(f"{P}agreement/", builder.template_builder, name="template"),
    path(f"{P}agreement/settings/", builder.template_settings, name="template_settings"),
    path(f"{P}agreement/starter/", builder.template_starter, name="template_starter"),
    path(f"{P}agreement/preview/", builder.template_preview, name="template_preview"),
    path(f"{P}agreement/items/new/", builder.item_create, name="item_create"),
    path(f"{P}agreement/items/<int:item_pk>/edit/", builder.item_edit, name="item_edit"),
    path(f"{P}agreement/items/<int:item_pk>/delete/", builder.item_delete, name="item_delete"),
    path(f"{P}agreement/items/<int:item_pk>/move/", builder.item_move, name="item_move"),
    path(f"{P}agreement/start/", builder.agreements_start, name="start"),
    path(f"{P}agreement/upgrade/", builder.agreements_upgrade, name="upgrade"),
    path(f"{P}agreements/", builder.status_list, name="status_list"),
    # One agreement (its parties).
    path(A, fill.detail, name="detail"),
    path(f"{A}fields/<int:item_pk>/", fill.field_save, name="field_save"),
    path(f"{A}history/", fill.history, name="history"),
    path(f"{A}sign/", fill.sign, name="sign"),
    path(f"{A}amend/", fill.amend, name="amend"),
    path(f"{A}withdraw/", fill.amendment_withdraw, name="withdraw"),
    path(f"{A}pdf/", documents.pdf_download, name="pdf"),
    # Anyone: is this PDF one we issued, unaltered?
    path("verify/", documents.verify, name="verify"),
]
