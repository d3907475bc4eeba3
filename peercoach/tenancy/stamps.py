"""Version stamps: one per organisation, changed by every write members could see, and
the page fragments cached on them.

`Organization.content_version` is a stamp that changes (to a new random value) inside
the transaction of every write to a tenant table that members could see: post_save and
post_delete of every `TenantModel` except those in `settings.CONTENT_STAMP_IGNORED`
(rows nobody reads on a page: the audit log, the delivery ledger, ...), of the
organisation itself, and of a user (their name shows on their partners' pages) except
for a sign-in's `last_login`. Tenant querysets stamp their own `update()`,
`bulk_create()` and `bulk_update()` (tenancy.models.TenantQuerySet), which send no
signal.

The stamp is read for free: it is a column of the organisation row the tenant
middleware loads anyway. A cached fragment is keyed by (organisation, its stamp, the
person, name, language, time zone, local date, vary), so the first request after a
commit misses and rebuilds; nothing is ever invalidated by deleting keys, which is why
it works with a per-process cache (embedded mode, or Redis down) as well as with Redis.

Why a random value and not a counter: a counter comes back to an old value after a
rollback or a restored backup, and would then serve what was cached under it; a fresh
62-bit random value does not repeat.

Time: `fragment()` entries last at most `FRAGMENT_TTL` seconds, and `build` may return
`Until(value, at)` for an earlier instant at which the content changes by itself (the
next session starts or ends, an event starts); the local date in the key turns "today"
over at midnight in the person's zone.

Never across tenants or people: the organisation and the person are in every key
(`user=None` only for what is the same for every member of the organisation), and no
CSRF token or flash message may go into a fragment (they are in base.html, outside).

Lock and order: the stamp is an UPDATE of the organisation row, so on PostgreSQL it
holds that row's lock until the writer commits. To add no wait and no deadlock between
writers of one organisation, the in-transaction UPDATE skips a row another transaction
holds (`FOR UPDATE SKIP LOCKED`: that writer's own commit changes the stamp) and then
stamps again right after its own commit. One UPDATE per organisation and transaction
(the `on_commit` marker below), however many rows the transaction writes.
"""

import contextvars
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.signals import request_started
from django.db import connections, router, transaction
from django.db.models import signals
from django.utils import timezone, translation

# Organisations this thread stamped during the current request: their fragments are
# built, never read from or written to the cache (the request's organisation row still
# carries the stamp from before its own write).
_stamped = contextvars.ContextVar("peercoach_stamped", default=frozenset())
# Counts requests, so that a transaction spanning several requests (tests) stamps again.
_generation = contextvars.ContextVar("peercoach_stamp_generation", default=0)

# Writes of a sign-in, which change nothing anyone sees.
USER_QUIET_FIELDS = frozenset({"last_login", "password"})


def new_stamp():
    return secrets.randbits(62) + 1


def _organization_model():
    return apps.get_model("tenancy", "Organization")


class _Stamped:
    """A no-op on_commit callback marking "this organisation's stamp changed in this
    transaction". Django drops it with a rolled-back savepoint, so a write after the
    rollback stamps again."""

    __slots__ = ("generation", "organization_id")

    def __init__(self, organization_id, generation):
        self.organization_id = organization_id
        self.generation = generation

    def __call__(self):
        pass


def bump(organization_ids, *, using=None):
    """Give each of `organization_ids` a new stamp, inside the current transaction."""
    ids = {pk for pk in organization_ids if pk is not None}
    if not ids:
        return
    Organization = _organization_model()
    using = using or router.db_for_write(Organization)
    connection = connections[using]
    generation = _generation.get()
    if connection.in_atomic_block:
        ids -= {
            func.organization_id
            for _sids, func, _robust in connection.run_on_commit
            if isinstance(func, _Stamped) and func.generation == generation
        }
        if not ids:
            return
    _stamped.set(_stamped.get() | ids)
    table = connection.ops.quote_name(Organization._meta.db_table)
    skip_locked = connection.in_atomic_block and connection.vendor == "postgresql"
    for pk in sorted(ids):
        if skip_locked:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET content_version = %s WHERE id = "  # noqa: S608
                    f"(SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                    [new_stamp(), pk],
                )
                if cursor.rowcount == 0:
                    transaction.on_commit(lambda pk=pk: _bump_now(pk, using), using=using)
        else:
            _bump_now(pk, using)
        if connection.in_atomic_block:
            transaction.on_commit(_Stamped(pk, generation), using=using)


def _bump_now(pk, using):
    _organization_model().objects.using(using).filter(pk=pk).update(content_version=new_stamp())


def tracked(model):
    """Whether writes to `model` (a TenantModel) change its organisation's stamp."""
    return model._meta.label not in settings.CONTENT_STAMP_IGNORED


# --- signals ----------------------------------------------------------------------------


def _tenant_row_changed(sender, instance, using=None, **kwargs):
    bump([instance.organization_id], using=using)


def _organization_changed(sender, instance, using=None, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"content_version"}:
        return
    bump([instance.pk], using=using)


def _user_changed(sender, instance, using=None, update_fields=None, created=False, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= USER_QUIET_FIELDS):
        return
    Membership = apps.get_model("tenancy", "Membership")
    bump(
        Membership.objects.with_scopes_disabled()
        .using(using)
        .filter(user_id=instance.pk)
        .values_list("organization_id", flat=True),
        using=using,
    )


def _request_started(**kwargs):
    _generation.set(_generation.get() + 1)
    _stamped.set(frozenset())


def connect():
    """Connect the stamps to every model's writes (TenancyConfig.ready)."""
    from .models import Organization, TenantModel

    for model in apps.get_models():
        if issubclass(model, TenantModel) and tracked(model):
            uid = f"stamps:{model._meta.label}"
            signals.post_save.connect(_tenant_row_changed, sender=model, dispatch_uid=uid)
            signals.post_delete.connect(_tenant_row_changed, sender=model, dispatch_uid=uid)
    signals.post_save.connect(_organization_changed, sender=Organization, dispatch_uid="stamps")
    signals.post_save.connect(
        _user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="stamps:user"
    )
    request_started.connect(_request_started, dispatch_uid="stamps")


# --- fragments --------------------------------------------------------------------------


@dataclass(frozen=True)
class Until:
    """What `build` returns when its content changes by itself at `at` (or None)."""

    value: object
    at: datetime | None


def fragment(organization, user, name, build, *, vary=()):
    """`build()`'s value for this organisation's current stamp and this person, cached.

    `user` is the person the fragment is for (None only for a fragment that is the same
    for every member of the organisation); `vary` any further values the content
    depends on. `build` may return `Until(value, at)`.
    """
    if not settings.FRAGMENT_CACHE or organization.pk in _stamped.get():
        return _unwrap(build())[0]
    now = timezone.now()
    key = _key(organization, user, name, vary, now)
    cache = caches[settings.FRAGMENT_CACHE_ALIAS]
    hit = cache.get(key)
    if hit is not None and hit[0] > now.timestamp():
        return hit[1]
    value, until = _unwrap(build())
    ceiling = now + timedelta(seconds=settings.FRAGMENT_TTL)
    until = min(until, ceiling) if until is not None else ceiling
    seconds = (until - now).total_seconds()
    if seconds > 0 and organization.pk not in _stamped.get():
        cache.set(key, (until.timestamp(), value), timeout=int(seconds) + 1)
    return value


def _unwrap(built):
    if isinstance(built, Until):
        return built.value, built.at
    return built, None


def _key(organization, user, name, vary, now):
    person = "org" if user is None else f"u{user.pk}"
    parts = [
        str(organization.pk),
        str(organization.content_version),
        person,
        name,
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        timezone.localdate(now).isoformat(),
    ]
    if vary:
        parts.append(hashlib.sha256(repr(tuple(vary)).encode()).hexdigest()[:16])
    return "frag:" + ":".join(parts)
