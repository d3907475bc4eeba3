"""The organisation's audit log: who did what, when, from where.

One row per action that matters to an organisation's accountability: coordinator
actions, invitations, matching and publishing, signatures, opt-outs, exports, readings
of confidential concerns. A row names the action and its target (type and id), never
private content: `summary` is written by our code from names and counts, not from what
participants wrote.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel


class Action(models.TextChoices):
    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    MEMBER_CHANGED = "member_changed", _("Member's role or responsibilities changed")
    MEMBER_REMOVED = "member_removed", _("Member removed from the organisation")
    SCIM_USER_CREATED = "scim_user_created", _("Member provisioned by the identity provider")
    SCIM_USER_UPDATED = "scim_user_updated", _("Member updated by the identity provider")
    SCIM_TOKEN_CHANGED = "scim_token_changed", _("Provisioning (SCIM) token created or revoked")
    SETTINGS_CHANGED = "settings_changed", _("Organisation settings changed")
    PROGRAM_CREATED = "program_created", _("Program created")
    PROGRAM_CHANGED = "program_changed", _("Program changed")
    PROGRAM_STATUS = "program_status", _("Program status changed")
    APPLICATION_DECIDED = "application_decided", _("Application accepted or declined")
    APPLICATIONS_IMPORTED = "applications_imported", _("Applications imported")
    PAIRING_RUN = "pairing_run", _("Pairing run")
    PAIRING_PUBLISHED = "pairing_published", _("Pairs published")
    MATCH_ENDED = "match_ended", _("Pair ended by a coordinator")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    AGREEMENT_VOIDED = "agreement_voided", _("Agreement voided")
    OPT_OUT = "opt_out", _("Opted out")
    CONCERN_READ = "concern_read", _("Confidential concern read")
    CONCERN_STATUS = "concern_status", _("Confidential concern status changed")
    CONCERN_NOTE = "concern_note", _("Note added to a confidential concern")
    EXPORT = "export", _("Data exported")
    NUDGE = "nudge", _("Pair nudged")
    SURVEY_SENT = "survey_sent", _("Debrief survey sent")
    SSO_SETTINGS_CHANGED = "sso_settings_changed", _("Single sign-on settings changed")
    SSO_DOMAIN_CLAIMED = "sso_domain_claimed", _("Email domain claimed")
    SSO_DOMAIN_CONFIRMED = "sso_domain_confirmed", _("Email domain confirmed by an operator")
    SSO_SIGN_IN = "sso_sign_in", _("Signed in through single sign-on")
    SSO_JOINED = "sso_joined", _("Joined through single sign-on")
    SSO_REFUSED = "sso_refused", _("Single sign-on refused")


class AuditEvent(TenantModel):
    action = models.CharField(max_length=40, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as written when the account is later deleted.
    actor_name = models.CharField(max_length=200, blank=True)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.CharField(max_length=60, blank=True)  # "app_label.model"
    target_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="auditevent_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="audit_org_time"),
            models.Index(
                fields=["organization", "action", "created_at"], name="audit_org_action_time"
            ),
            models.Index(
                fields=["organization", "actor", "created_at"], name="audit_org_actor_time"
            ),
        ]

    def __str__(self):
        return f"{self.action} by {self.actor_name or '-'}"
