"""Writes for each person's choice of reminders (per organisation, per kind)."""

from django.db import transaction

from .models import Kind, Preference


def preference_set(*, organization, user, kind, enabled):
    """Turn one kind on or off for the person in the organisation.

    Idempotent (one row per organisation, person and kind). Raises ValueError for a kind
    that does not exist. The dispatcher stops recording the kind at once, and a reminder
    already recorded is skipped when its batch is sent.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown kind of reminder: {kind!r}")
    Preference.objects.update_or_create(
        organization=organization, user=user, kind=kind, defaults={"enabled": enabled}
    )


def preferences_save(*, organization, user, choices, current):
    """Save {kind: enabled}, writing only the kinds that differ from `current` (the
    person's choices as `selectors.preferences_for` read them). Returns the changed kinds."""
    changed = [kind for kind, enabled in choices.items() if current.get(kind, True) != enabled]
    with transaction.atomic():
        for kind in changed:
            preference_set(organization=organization, user=user, kind=kind, enabled=choices[kind])
    return changed
