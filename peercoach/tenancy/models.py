"""The tenant (Organization) and who belongs to it (Membership).

Every tenant-owned model subclasses `TenantModel`: it carries `organization`
and its default manager refuses to run outside a django-scopes scope, so a
query that forgot the tenant raises instead of leaking.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from . import stamps

RESERVED_SLUGS = {
    "admin",
    "static",
    "media",
    "accounts",
    "invite",
    "healthz",
    "api",
    "new",
    # allauth provider ids: an organisation's slug names its sign-in provider.
    "openid_connect",
    "saml",
}

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hex digits, e.g. #1f4e79.")
)


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def validate_slug_not_reserved(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(value)s” is reserved."), params={"value": value})


class Organization(models.Model):
    slug = models.SlugField(
        _("short name in URLs"), max_length=50, unique=True, validators=[validate_slug_not_reserved]
    )
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    help_email = models.EmailField(
        _("help and contact address"),
        blank=True,
        help_text=_("Where participants write with questions, opt-outs and concerns."),
    )
    brand_colour = models.CharField(
        _("brand colour"), max_length=7, default="#1f4e79", validators=[colour_validator]
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    policy_text = models.TextField(
        _("policy text"),
        blank=True,
        help_text=_("Privacy and conduct policy shown to members of this organisation."),
    )
    default_language = models.CharField(
        _("default language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The language for members who have not chosen one. Leave empty to follow "
            "each person's browser."
        ),
    )
    require_coordinator_mfa = models.BooleanField(
        _("coordinators must use two-factor authentication"), default=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes with every write members could see (peercoach.tenancy.stamps); only the
    # stamps write it.
    content_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Never write back the stamp this instance was loaded with: another writer may
        # have changed it since (the post_save signal gives it a new one).
        if (
            not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "content_version"
            ]
        super().save(*args, **kwargs)

    @property
    def brand_text_colour(self):
        """Black or white, whichever reads better on the brand colour (WCAG luminance)."""
        channels = [int(self.brand_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.time_zone)


class TenantQuerySet(models.QuerySet):
    """Writes that send no signal change their organisations' stamps themselves."""

    def update(self, **kwargs):
        if not stamps.tracked(self.model):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            organizations = set(
                self.order_by().values_list("organization_id", flat=True).distinct()
            )
            rows = super().update(**kwargs)
            if rows:
                stamps.bump(organizations, using=self.db)
        return rows

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            if stamps.tracked(self.model):
                stamps.bump({o.organization_id for o in objs}, using=self.db)
        return created

    bulk_create.alters_data = True

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            rows = super().bulk_update(objs, *args, **kwargs)
            if rows and stamps.tracked(self.model):
                stamps.bump({o.organization_id for o in objs}, using=self.db)
        return rows

    bulk_update.alters_data = True


class TenantModel(models.Model):
    """Base for every tenant-owned table: `organization` first, scoped manager."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(
        _manager_class=models.Manager.from_queryset(TenantQuerySet), organization="organization"
    )

    class Meta:
        abstract = True


class Membership(TenantModel):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        PARTICIPANT = "participant", _("Participant")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Confidential concerns reach only the coordinators who carry this responsibility.
    handles_concerns = models.BooleanField(
        _("handles confidential concerns"),
        default=False,
        help_text=_("Reads and answers the confidential concerns participants raise."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.UniqueConstraint(fields=["organization", "id"], name="membership_org_id"),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role")]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    @property
    def is_coordinator(self):
        return self.role == self.Role.COORDINATOR

    @property
    def is_concern_handler(self):
        return self.is_coordinator and self.handles_concerns
