"""Writes for setting a program up: the program, its events and its resources.

The application form's questions are in `questions`.

Every service takes keyword arguments, checks its input itself (the forms only parse),
writes in one transaction where it touches more than one row, and raises
`django.core.exceptions.ValidationError` with a message fit to show the coordinator when
the request cannot be honoured. Errors about one field come as a dict keyed by the
form's field name, so a view can put them next to the field.
"""

from datetime import timedelta
from os.path import basename

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Application, Match, Program, ProgramEvent, Question, Resource
from .questions import QUESTION_COPY_FIELDS, _only

# The settings a coordinator edits on the program form; copied for the next term.
PROGRAM_FIELDS = (
    "name",
    "description",
    "format",
    "term_start",
    "term_end",
    "cadence_days",
    "session_minutes",
    "min_minutes_each",
    "circle_size",
    "different_group",
    "cross_community",
    "previous_partners",
    "seniority_rule",
    "weight_traits",
    "weight_goals",
    "weight_roles",
    "weight_preferences",
    "weight_seniority",
    "open_link_enabled",
    "session_topics",
    "first_session_checklist",
    "session_preparation",
    "opt_out_notice_to_team",
)
EVENT_FIELDS = ("kind", "title", "starts_at", "duration_minutes", "location", "description")
RESOURCE_FIELDS = ("kind", "title", "body", "file")
# --- Programs ----------------------------------------------------------------------------


def program_create(*, organization, **fields):
    """Create a program in draft from `fields` (names from PROGRAM_FIELDS).

    Guarantees a valid row (every model validator and the term-order rule checked) with a
    fresh open-link token. Raises ValidationError (keyed by field) when a value is invalid.
    """
    _only(fields, PROGRAM_FIELDS, "program_create")
    program = Program(organization=organization, status=Program.Status.DRAFT, **fields)
    _program_check(program)
    program.save()
    return program


def program_update(*, program, **fields):
    """Change a program's settings (names from PROGRAM_FIELDS); status has its own service.

    The format is fixed once pairs or circles have been made from the program: a matcher
    run in one format cannot be read in another. Raises ValidationError otherwise, and when
    a value is invalid. Works on a fresh, locked copy of the row, so the caller's instance
    (which a bound ModelForm may have changed) does not matter; it gets the saved values.
    """
    _only(fields, PROGRAM_FIELDS, "program_update")
    with transaction.atomic():
        current = Program.objects.select_for_update().get(
            organization=program.organization, pk=program.pk
        )
        new_format = fields.get("format", current.format)
        if (
            new_format != current.format
            and Match.objects.filter(organization=current.organization, program=current).exists()
        ):
            raise ValidationError(
                {
                    "format": _(
                        "Pairs or circles were already made in this format, so it cannot "
                        "change. Copy the program to run it in another format."
                    )
                }
            )
        for name, value in fields.items():
            setattr(current, name, value)
        _program_check(current)
        current.save()
    for name in fields:
        setattr(program, name, getattr(current, name))
    return current


def _program_check(program):
    if program.term_start and program.term_end and program.term_end < program.term_start:
        raise ValidationError({"term_end": _("The term cannot end before it starts.")})
    # Model validators (lengths, ranges, choices); uniqueness and constraints are the
    # database's job and the term order is checked above with a clearer message.
    program.full_clean(exclude=["organization", "open_link_token"], validate_constraints=False)


def program_copy(*, program, name, term_start, term_end):
    """Copy a program for another term: settings, form, events and resources.

    The copy is a draft with its own open-link token, the new name and term. Events move
    by as many days as the term start moved, keeping their local time of day in the
    organisation's time zone. Resource files are duplicated, so either program can change
    or delete its own. Applications, pairing runs and pairs are not copied. All or nothing;
    raises ValidationError when the name or dates are invalid.
    """
    shift_days = (term_start - program.term_start).days if term_start else 0
    organization = program.organization
    with transaction.atomic():
        new_program = program_create(
            organization=organization,
            **{
                **{f: getattr(program, f) for f in PROGRAM_FIELDS},
                "name": name,
                "term_start": term_start,
                "term_end": term_end,
            },
        )
        new_program.copied_from = program
        new_program.save(update_fields=["copied_from"])

        Question.objects.bulk_create(
            Question(
                organization=organization,
                program=new_program,
                **{f: getattr(q, f) for f in QUESTION_COPY_FIELDS},
            )
            for q in Question.objects.filter(organization=organization, program=program)
        )
        zone = organization.tzinfo
        ProgramEvent.objects.bulk_create(
            ProgramEvent(
                organization=organization,
                program=new_program,
                starts_at=_shift_local(e.starts_at, shift_days, zone),
                **{f: getattr(e, f) for f in EVENT_FIELDS if f != "starts_at"},
            )
            for e in ProgramEvent.objects.filter(organization=organization, program=program)
        )
        for resource in Resource.objects.filter(organization=organization, program=program):
            new = Resource(
                organization=organization,
                program=new_program,
                kind=resource.kind,
                title=resource.title,
                body=resource.body,
                position=resource.position,
            )
            _copy_file(resource, new)
            new.save()
    return new_program


def _shift_local(moment, days, zone):
    """`moment` moved by `days` calendar days at the same wall-clock time in `zone`."""
    local = timezone.localtime(moment, zone).replace(tzinfo=None) + timedelta(days=days)
    return timezone.make_aware(local, zone)


def _copy_file(source, target):
    if not source.file:
        return
    try:
        with source.file.open("rb") as handle:
            target.file.save(basename(source.file.name), handle, save=False)
    except FileNotFoundError:
        # The original file is gone (e.g. restored database, lost media); copy the rest.
        target.file = ""
    # A rollback after this point leaves the copied file behind unreferenced; storage
    # writes cannot join the transaction, and an orphan file loses nothing.


def _delete_file_after_commit(field):
    """Remove a stored file once the transaction that stopped using it commits."""
    if field:
        storage, name = field.storage, field.name
        transaction.on_commit(lambda: storage.delete(name))


# Which status may follow which. Coordinators move a program on one step at a time and
# may step back where that loses nothing.
STATUS_NEXT = {
    Program.Status.DRAFT: (Program.Status.OPEN, Program.Status.MATCHING),
    Program.Status.OPEN: (Program.Status.MATCHING, Program.Status.DRAFT, Program.Status.CLOSED),
    Program.Status.MATCHING: (Program.Status.RUNNING, Program.Status.OPEN, Program.Status.CLOSED),
    Program.Status.RUNNING: (Program.Status.CLOSED, Program.Status.MATCHING),
    Program.Status.CLOSED: (Program.Status.RUNNING,),
}


def program_status_problem(*, program, status, question_count, application_count):
    """Why `program` may not move to `status` now (a message), or None when it may.

    The rules:
    - only the moves in STATUS_NEXT (e.g. a closed program can be reopened as running,
      not as a draft);
    - back to draft only while nobody has applied: a draft is hidden from participants,
      and applicants would lose sight of their application;
    - opening applications needs at least one question on the application form.
    Moving straight from draft to matching is allowed for programs whose applications
    are imported from a file rather than collected with the form.
    """
    if status not in Program.Status.values:
        return _("Choose a known status.")
    if status == program.status:
        return _("The program is already in this state.")
    if status not in STATUS_NEXT[program.status]:
        return _("A program cannot move from “%(old)s” to “%(new)s”.") % {
            "old": program.get_status_display(),
            "new": Program.Status(status).label,
        }
    if status == Program.Status.DRAFT and application_count:
        return _("People have already applied, so the program cannot go back to draft.")
    if status == Program.Status.OPEN and not question_count:
        return _("Add at least one question to the application form before opening it.")
    return None


def program_status_set(*, program, status):
    """Move `program` to `status` following the rules of `program_status_problem`.

    Reads the counts and writes the status under a row lock, so two coordinators
    clicking at once cannot slip past a rule. Raises ValidationError with the reason.
    """
    with transaction.atomic():
        current = Program.objects.select_for_update().get(
            organization=program.organization, pk=program.pk
        )
        problem = program_status_problem(
            program=current,
            status=status,
            question_count=Question.objects.filter(
                organization=current.organization, program=current
            ).count(),
            application_count=Application.objects.filter(
                organization=current.organization, program=current
            ).count(),
        )
        if problem:
            raise ValidationError(problem)
        current.status = status
        current.save(update_fields=["status", "updated_at"])
    program.status = current.status
    return current


# --- Events ------------------------------------------------------------------------------


def event_create(*, program, **fields):
    """Add an event (names from EVENT_FIELDS) to `program`. Raises ValidationError."""
    _only(fields, EVENT_FIELDS, "event_create")
    event = ProgramEvent(organization=program.organization, program=program, **fields)
    event.full_clean(exclude=["organization", "program"], validate_constraints=False)
    event.save()
    return event


def event_update(*, event, **fields):
    """Change an event's fields (names from EVENT_FIELDS). Raises ValidationError."""
    _only(fields, EVENT_FIELDS, "event_update")
    for name, value in fields.items():
        setattr(event, name, value)
    event.full_clean(exclude=["organization", "program"], validate_constraints=False)
    event.save()
    return event


def event_delete(*, event):
    """Delete an event. Nothing else refers to events yet."""
    event.delete()


# --- Resources ---------------------------------------------------------------------------

MAX_RESOURCE_BYTES = 10 * 1024 * 1024


def _resource_check(resource):
    if not resource.body.strip() and not resource.file:
        raise ValidationError(_("Give the resource a text, a file, or both."))
    upload = resource.file
    # Only a new upload (not yet committed to storage) needs its size checked.
    if upload and not getattr(upload, "_committed", True) and upload.size > MAX_RESOURCE_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    resource.full_clean(exclude=["organization", "program", "file"], validate_constraints=False)


def resource_create(*, program, **fields):
    """Add a resource (text, file or both; names from RESOURCE_FIELDS) at the end of the list.

    Raises ValidationError when it has neither text nor file, or the file is over 10 MB.
    """
    _only(fields, RESOURCE_FIELDS, "resource_create")
    with transaction.atomic():
        last = Resource.objects.filter(organization=program.organization, program=program)
        position = (last.aggregate(m=Max("position"))["m"] or 0) + 1
        resource = Resource(
            organization=program.organization, program=program, position=position, **fields
        )
        _resource_check(resource)
        resource.save()
    return resource


def resource_update(*, resource, **fields):
    """Change a resource. `file=None` keeps the file, `file=False` removes it, an upload
    replaces it; a removed or replaced file is deleted from storage after commit.

    Raises ValidationError as `resource_create` does.
    """
    _only(fields, RESOURCE_FIELDS, "resource_update")
    old_file = resource.file.name
    new_file = fields.pop("file", None)
    for name, value in fields.items():
        setattr(resource, name, value)
    if new_file is False:
        resource.file = ""
    elif new_file is not None:
        resource.file = new_file
    with transaction.atomic():
        _resource_check(resource)
        resource.save()
        if old_file and resource.file.name != old_file:
            storage = resource.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return resource


def resource_delete(*, resource):
    """Delete a resource and, after commit, its file."""
    with transaction.atomic():
        _delete_file_after_commit(resource.file)
        resource.delete()
