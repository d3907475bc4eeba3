"""Writes on a program's agreement template: its items, their order, its settings, starters.

Every edit runs in one transaction that locks the program row, then asks
`versions.template_for_edit` for the version to change. A version someone has signed
against is never changed in place: the edit lands on a copy (the next version), and
signed agreements keep theirs. An edit URL names an item by its id, which may belong to
that frozen version (or an older one); the item to change is the one with the same `key`
in the editable version.

Input is checked here, whoever calls (the builder's forms, the starters, the demo):
ValidationError, keyed by the form's field name where there is one, when the change
cannot be made. Nothing is written then.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from peercoach.tenancy.languages import language_of, supported
from programs.models import Program

from ..models import Agreement, AgreementItem, AgreementValue
from ..starters import STARTERS, help_contact
from .create import template_changed
from .versions import template_for_edit

Kind = AgreementItem.Kind
Purpose = AgreementItem.Purpose

ITEM_FIELDS = ("title", "body", "help_text", "required", "per_party", "choices", "purpose")

MAX_ITEMS = 100
MAX_CHOICES = 50
MAX_CHOICE_LENGTH = 200
MAX_BODY = 20000
MAX_INTRODUCTION = 5000
TITLE_MAX = 300
TEMPLATE_TITLE_MAX = 200
HELP_MAX = 500

CHOICE_KINDS = frozenset({Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE})
TEXT_KINDS = frozenset({Kind.SHORT_TEXT, Kind.LONG_TEXT})

# The kinds whose value the readers of each purpose understand (selectors.terms and the
# pre-filling of names and emails, which writes a string).
PURPOSE_KINDS = {
    Purpose.MEETING_FREQUENCY: frozenset({Kind.FREQUENCY}),
    Purpose.REPORTING_FREQUENCY: frozenset({Kind.FREQUENCY}),
    Purpose.MEETING_DURATION: frozenset({Kind.DURATION}),
    Purpose.MODALITY: frozenset({Kind.SINGLE_CHOICE, Kind.SHORT_TEXT}),
    Purpose.PARTY_NAME: frozenset({Kind.SHORT_TEXT}),
    Purpose.PARTY_EMAIL: frozenset({Kind.SHORT_TEXT}),
    Purpose.OFFICE_PHONE: frozenset({Kind.SHORT_TEXT}),
    Purpose.CELL_PHONE: frozenset({Kind.SHORT_TEXT}),
    Purpose.CONTACT_METHOD: frozenset({Kind.SHORT_TEXT, *CHOICE_KINDS}),
    Purpose.BEST_TIME: frozenset({Kind.SHORT_TEXT, *CHOICE_KINDS}),
    Purpose.PRIMARY_OBJECTIVE: TEXT_KINDS,
}
# Agreed together (one value per agreement) or filled by each party for themselves.
SHARED_PURPOSES = frozenset(
    {
        Purpose.MEETING_FREQUENCY,
        Purpose.REPORTING_FREQUENCY,
        Purpose.MEETING_DURATION,
        Purpose.MODALITY,
    }
)
PER_PARTY_PURPOSES = frozenset(PURPOSE_KINDS) - SHARED_PURPOSES


def purposes_for_kind(kind):
    """The purposes a field of `kind` may carry (clauses: none)."""
    return [purpose for purpose, kinds in PURPOSE_KINDS.items() if kind in kinds]


def _only(fields):
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unexpected item fields: {', '.join(sorted(unknown))}")


def _distinct_choices(choices):
    cleaned, seen = [], set()
    for choice in choices or []:
        choice = " ".join(str(choice).split())
        if not choice:
            continue
        if len(choice) > MAX_CHOICE_LENGTH:
            raise ValidationError(
                {
                    "choices": _("“%(option)s…” is longer than %(n)d characters.")
                    % {"option": choice[:40], "n": MAX_CHOICE_LENGTH}
                }
            )
        if choice.casefold() in seen:
            raise ValidationError(
                {"choices": _("“%(option)s” is listed twice.") % {"option": choice}}
            )
        seen.add(choice.casefold())
        cleaned.append(choice)
    if len(cleaned) < 2:
        raise ValidationError({"choices": _("List at least two different options, one per line.")})
    if len(cleaned) > MAX_CHOICES:
        raise ValidationError({"choices": _("List at most %(n)d options.") % {"n": MAX_CHOICES}})
    return cleaned


def _item_check(item, *, siblings):
    """Normalise and validate `item` in place; `siblings`: the version's other items.

    Raises ValidationError (keyed by form field) when the item breaks a rule.
    """
    if item.kind not in Kind.values:
        raise ValidationError(_("Choose a known kind of item."))
    item.title = " ".join((item.title or "").split())
    if not item.title:
        raise ValidationError({"title": _("Give the item a title.")})
    if len(item.title) > TITLE_MAX:
        raise ValidationError(
            {"title": _("Keep the title under %(n)d characters.") % {"n": TITLE_MAX}}
        )
    item.help_text = " ".join((item.help_text or "").split())
    if len(item.help_text) > HELP_MAX:
        raise ValidationError(
            {"help_text": _("Keep the help text under %(n)d characters.") % {"n": HELP_MAX}}
        )
    item.purpose = item.purpose or ""
    if item.purpose not in Purpose.values:
        raise ValidationError({"purpose": _("Choose what the field is used for from the list.")})

    if item.kind == Kind.CLAUSE:
        item.body = (item.body or "").replace("\r\n", "\n").strip()
        if not item.body:
            raise ValidationError({"body": _("Write the clause's text.")})
        if len(item.body) > MAX_BODY:
            raise ValidationError(
                {"body": _("Keep the text under %(n)d characters.") % {"n": MAX_BODY}}
            )
        if item.per_party:
            raise ValidationError(
                {"per_party": _("A clause is agreed by everyone; only fields can be per party.")}
            )
        if item.purpose:
            raise ValidationError({"purpose": _("Only a field can be used for something.")})
        item.choices = []
        item.required = False
        return item

    # A field: its guidance is the help text; the fill page shows no body for fields.
    item.body = ""
    item.choices = _distinct_choices(item.choices) if item.kind in CHOICE_KINDS else []
    if item.purpose:
        purpose = Purpose(item.purpose)
        if item.kind not in PURPOSE_KINDS[purpose]:
            kinds = ", ".join(str(Kind(k).label) for k in sorted(PURPOSE_KINDS[purpose]))
            raise ValidationError(
                {
                    "purpose": _("“%(purpose)s” needs a field of kind: %(kinds)s.")
                    % {"purpose": purpose.label, "kinds": kinds}
                }
            )
        if purpose in PER_PARTY_PURPOSES:
            item.per_party = True
        elif item.per_party:
            raise ValidationError(
                {
                    "per_party": _(
                        "“%(purpose)s” is agreed together, so the field cannot be per party."
                    )
                    % {"purpose": purpose.label}
                }
            )
        for other in siblings:
            if other.key != item.key and other.purpose == item.purpose:
                raise ValidationError(
                    {
                        "purpose": _(
                            "“%(other)s” is already used for “%(purpose)s”; a purpose "
                            "appears once per agreement."
                        )
                        % {"other": other.title, "purpose": purpose.label}
                    }
                )
    return item


def _lock_program(program):
    # Serialises edits of one program's template, the very first one included (two
    # first edits at once would both create version 1).
    Program.objects.select_for_update().filter(
        organization=program.organization, pk=program.pk
    ).first()


def _editable(program, user):
    _lock_program(program)
    return template_for_edit(program=program, user=user)


def _items(template):
    return list(
        AgreementItem.objects.select_for_update()
        .filter(organization=template.organization, template=template)
        .order_by("position", "id")
    )


def _same_item(items, item):
    """`item`'s counterpart (same key) among the editable version's items."""
    for candidate in items:
        if candidate.key == item.key:
            return candidate
    raise ValidationError(
        _("This item is no longer in the current version of the template. Reload the page.")
    )


def item_create(*, program, user, kind, **fields):
    """Add a clause or a field at the end of the program's editable template version.

    Rules (also for updates): a title; a clause has text and is never per party or used
    for anything; a choice field lists at least two different options; a purpose sits
    on a kind its readers understand, at most once per version; contact details and
    primary objective are per party (set here), the meeting and reporting terms are not.
    Creates version 1 when there is none, the next version when the current one was
    signed against. Raises ValidationError otherwise. Returns the new item.
    """
    _only(fields)
    with transaction.atomic():
        template = _editable(program, user)
        items = _items(template)
        if len(items) >= MAX_ITEMS:
            raise ValidationError(_("A template holds at most %(n)d items.") % {"n": MAX_ITEMS})
        position = (max((i.position for i in items), default=0)) + 1
        item = AgreementItem(
            organization=program.organization,
            template=template,
            kind=kind,
            position=position,
            **fields,
        )
        _item_check(item, siblings=items)
        item.save()
        template_changed(
            template=template, user=user, change=_("Added “%(title)s”.") % {"title": item.title}
        )
    item.template = template
    return item


def item_update(*, program, item, user, **fields):
    """Change an item's wording, options, requirement or purpose; its kind stays.

    Same rules as `item_create`. Edits the editable version's item with `item`'s key,
    so an edit of a signed-against version makes the next one. Whether a field is per
    party cannot change once someone has filled it in (their answers would no longer
    fit). Returns the item that was changed.
    """
    _only(fields)
    with transaction.atomic():
        template = _editable(program, user)
        items = _items(template)
        target = _same_item(items, item)
        was_per_party = target.per_party
        for name, value in fields.items():
            setattr(target, name, value)
        _item_check(target, siblings=items)
        if (
            target.per_party != was_per_party
            and AgreementValue.objects.filter(
                organization=target.organization, item=target
            ).exists()
        ):
            raise ValidationError(
                {
                    "per_party": _(
                        "Pairs have already filled this field in, so whether each party "
                        "fills it separately cannot change now. Add a new field instead."
                    )
                }
            )
        target.save()
        template_changed(
            template=template,
            user=user,
            change=_("Changed “%(title)s”.") % {"title": target.title},
        )
    target.template = template
    return target


def item_delete(*, program, item, user):
    """Remove an item from the editable version (the next one when the current one was
    signed against: signed agreements keep the item). Answers already given to it in
    agreements of the edited version go with it. Returns the edited template."""
    with transaction.atomic():
        template = _editable(program, user)
        target = _same_item(_items(template), item)
        target.delete()
        template_changed(
            template=template,
            user=user,
            change=_("Removed “%(title)s”, with any answer given to it.") % {"title": target.title},
        )
    return template


def item_move(*, program, item, user, direction):
    """Swap the item with its neighbour above (`direction="up"`) or below ("down").

    Renumbers the version's items 1..n. Moving the first up or the last down changes
    nothing (and makes no new version). Raises ValidationError for another direction.
    """
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move an item up or down."))
    with transaction.atomic():
        template = _editable(program, user)
        items = _items(template)
        target = _same_item(items, item)
        index = items.index(target)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
        changed = []
        for position, each in enumerate(items, start=1):
            if each.position != position:
                each.position = position
                changed.append(each)
        AgreementItem.objects.bulk_update(changed, ["position"])
        if changed:
            template_changed(
                template=template,
                user=user,
                change=_("Moved “%(title)s”.") % {"title": target.title},
            )
    target.template = template
    return target


def template_settings_update(*, program, user, title, introduction, coordinator_sees_pdf):
    """Save the template's title, introduction and whether coordinators may read the
    signed PDF.

    Nobody has signed the edited version (it would be a new one otherwise), so the
    agreements being filled on it take the PDF setting along: the parties always see the
    setting that applies before they sign. Returns the edited template.
    """
    title = " ".join((title or "").split())
    introduction = (introduction or "").replace("\r\n", "\n").strip()
    if not title:
        raise ValidationError({"title": _("Give the agreement a title.")})
    if len(title) > TEMPLATE_TITLE_MAX:
        raise ValidationError(
            {"title": _("Keep the title under %(n)d characters.") % {"n": TEMPLATE_TITLE_MAX}}
        )
    if len(introduction) > MAX_INTRODUCTION:
        raise ValidationError(
            {
                "introduction": _("Keep the introduction under %(n)d characters.")
                % {"n": MAX_INTRODUCTION}
            }
        )
    with transaction.atomic():
        template = _editable(program, user)
        template.title = title
        template.introduction = introduction
        template.coordinator_sees_pdf = bool(coordinator_sees_pdf)
        template.save(update_fields=["title", "introduction", "coordinator_sees_pdf"])
        Agreement.objects.filter(
            organization=template.organization,
            template=template,
            status=Agreement.Status.OPEN,
        ).update(coordinator_sees_pdf=template.coordinator_sees_pdf)
        template_changed(
            template=template,
            user=user,
            change=(
                _("Title and introduction saved; the program team may read the signed agreement.")
                if coordinator_sees_pdf
                else _(
                    "Title and introduction saved; the program team may not read the signed "
                    "agreement."
                )
            ),
        )
    return template


def template_from_starter(*, program, starter_key, user, replace=False, language=""):
    """Fill the editable version with a starter's title, introduction and items.

    An empty version is filled; one with items only when `replace` is true (the
    coordinator confirmed), and then its items, with the answers given to them in
    agreements of that version, are removed first. A version someone signed against
    is copied into the next one as for any edit. All or nothing. Raises ValidationError
    for an unknown starter or a version with items and no `replace`. Returns the edited
    template.

    The starter's wording is written in `language` (else the organisation's default,
    else LANGUAGE_CODE), which becomes the template's: its agreements are issued in it.
    """
    starter = STARTERS.get(starter_key)
    if starter is None:
        raise ValidationError({"starter": _("Choose one of the starters.")})
    language = supported(language) or language_of(None, program.organization)
    with translation.override(language):
        helper = help_contact(program.organization)
    with transaction.atomic():
        template = _editable(program, user)
        existing = AgreementItem.objects.filter(
            organization=template.organization, template=template
        )
        count = existing.count()
        if count and not replace:
            raise ValidationError(
                {
                    "replace": _(
                        "The template already has %(n)d items. Tick “Replace the current "
                        "items” to start again from this starter."
                    )
                    % {"n": count}
                }
            )
        built = []
        # The starter's wording (lazy texts) in the chosen language; once stored, it is
        # the coordinator's own text and stays as written.
        with translation.override(language):
            for position, spec in enumerate(starter.items, start=1):
                item = AgreementItem(
                    organization=program.organization,
                    template=template,
                    position=position,
                    **{
                        key: str(value) if isinstance(value, Promise) else value
                        for key, value in spec.items()
                    }
                    | {
                        "choices": [str(choice) for choice in spec.get("choices", [])],
                        "title": spec["title"].replace("{help}", helper),
                        "body": spec.get("body", "").replace("{help}", helper),
                        "help_text": spec.get("help_text", "").replace("{help}", helper),
                    },
                )
                _item_check(item, siblings=built)
                built.append(item)
            title = str(starter.title)
            introduction = starter.introduction.replace("{help}", helper)
        if count:
            existing.delete()
        template.title = title
        template.introduction = introduction
        template.language = language
        template.save(update_fields=["title", "introduction", "language"])
        AgreementItem.objects.bulk_create(built)
        template_changed(
            template=template,
            user=user,
            change=_("Started again from the “%(starter)s” starter.") % {"starter": starter.label},
        )
    return template
