"""Writes for applications: submitting, deciding and importing (the open application link
is in `open_link.py`).

Answers are validated in one place (`answers_clean`) whether they come from the web
form or a CSV file, so both paths accept exactly the same values. Every service takes
keyword arguments and raises `ApplicationError` (a ValidationError) with a message fit
to show the person when the request cannot be honoured.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.models import Membership
from peercoach.web.csvio import (
    CsvImportError,
    CsvRowError,
    csv_column_names,
    csv_email_problem,
    csv_fold,
    csv_read_table,
)

from ..models import Application, MatchMember, Question

MAX_TEXT = 4000
APPLICATIONS_CSV_MAX_ROWS = 5000


class ApplicationError(ValidationError):
    pass


# --- Answers --------------------------------------------------------------------------


def _match_option(question, value):
    """The option of `question` that `value` names (case-insensitive), or None."""
    wanted = str(value).strip().casefold()
    return next((o for o in question.options if o.casefold() == wanted), None)


# Words people type for a role that the form words differently.
ROLE_ALIASES = {"peer": "coachee", "either": "both", "coach or coachee": "both"}


def _folded(value):
    return " ".join(str(value).split()).casefold()


def choice_code(choices, value, *, aliases=None):
    """The code of `choices` (a TextChoices) that `value` names, or None.

    Codes and labels both count, the labels in English and in the active language, so a
    file says what the form shows ("Either or both") or what an export wrote ("both");
    case and spacing do not matter.
    """
    wanted = _folded(value)
    names = {}
    for code, label in choices.choices:
        with translation.override("en"):
            english = str(label)
        for name in (code, english, str(label)):
            names.setdefault(_folded(name), code)
    for alias, code in (aliases or {}).items():
        names.setdefault(alias, code)
    return names.get(wanted)


def choices_listed(choices):
    """ "Coach, Coachee, Either or both": the labels as the form shows them."""
    return ", ".join(str(label) for label in choices.labels)


def answer_clean(question, value):
    """The stored form of one answer, or raise ValidationError saying what is wrong.

    Empty answers return None (the caller decides whether the question was required).
    """
    kind = question.kind
    if value is None or value == "" or value == []:
        return None
    if question.is_multiple:
        values = value if isinstance(value, list | tuple) else [value]
        chosen = []
        for item in values:
            option = _match_option(question, item)
            if option is None:
                raise ValidationError(_("“%(value)s” is not one of the options.") % {"value": item})
            if option not in chosen:
                chosen.append(option)
        return chosen
    if kind == Question.Kind.PREFERRED_ROLE:
        role = choice_code(Application.PreferredRole, value, aliases=ROLE_ALIASES)
        if role is None:
            raise ValidationError(
                _("“%(value)s” is not a role. Use one of: %(allowed)s.")
                % {
                    "value": str(value).strip(),
                    "allowed": choices_listed(Application.PreferredRole),
                }
            )
        return role
    if question.is_scale:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError(_("Give a whole number.")) from None
        if not question.scale_low <= number <= question.scale_high:
            raise ValidationError(
                _("Give a number from %(low)d to %(high)d.")
                % {"low": question.scale_low, "high": question.scale_high}
            )
        return number
    if question.options:
        option = _match_option(question, value)
        if option is None:
            raise ValidationError(_("“%(value)s” is not one of the options.") % {"value": value})
        return option
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("Keep it under %(n)d characters (this has %(len)d).")
            % {"n": MAX_TEXT, "len": len(text)}
        )
    return text or None


def answers_clean(*, questions, raw, require=True):
    """({question key: answer}, {question key: [messages]}) for `raw` answers by key.

    `require=False` lets required questions stay empty (the program team adding someone
    late may not know every answer); a wrong answer is refused either way."""
    answers, errors = {}, {}
    for question in questions:
        try:
            value = answer_clean(question, raw.get(question.key))
        except ValidationError as exc:
            errors[question.key] = exc.messages
            continue
        if value is None:
            if question.required and require:
                errors[question.key] = [_("This question needs an answer.")]
            continue
        answers[question.key] = value
    return answers, errors


def _copy_columns(application, questions):
    """Fill the columns lists and the matcher filter on from the answers."""
    by_kind = {q.kind: q for q in questions if q.kind in Question.SINGLETONS}
    group_question = by_kind.get(Question.Kind.GROUP)
    group = application.answers.get(group_question.key, "") if group_question else ""
    application.group = group
    application.community = group_question.communities.get(group, "") if group_question else ""
    level = by_kind.get(Question.Kind.ROLE_LEVEL)
    application.role_level = application.answers.get(level.key, "") if level else ""
    role = by_kind.get(Question.Kind.PREFERRED_ROLE)
    application.preferred_role = (
        application.answers.get(role.key) if role else None
    ) or Application.PreferredRole.BOTH


def questions_of(program):
    return list(Question.objects.filter(organization=program.organization, program=program))


# --- Applying -------------------------------------------------------------------------


def application_submit(*, program, user, raw_answers, admitted_by=None):
    """Create or update `user`'s application to `program`.

    New applications need the program to be open; changes are allowed until matching
    starts, and a withdrawn application comes back as submitted. `admitted_by` (the
    coordinator of a late admission, see `joining.late_admission_check`) lets a first
    application in after applications closed, accepted at once. Raises ApplicationError
    (with `error_dict` per question key when answers are wrong). Returns the application.
    """
    questions = questions_of(program)
    answers, errors = answers_clean(questions=questions, raw=raw_answers)
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update()
            .filter(organization=program.organization, program=program, user=user)
            .first()
        )
        if application is None:
            late = admitted_by is not None and program.takes_late_joiners
            if not program.accepts_applications and not late:
                raise ApplicationError(_("This program is not taking applications."))
            application = Application(organization=program.organization, program=program, user=user)
            if late:
                accepted_by_team(application, by=admitted_by)
        elif not program.applications_editable:
            raise ApplicationError(
                _("Matching has started: applications can no longer be changed.")
            )
        elif application.status == Application.Status.DECLINED:
            raise ApplicationError(_("This application was declined and cannot be changed."))
        if application.status == Application.Status.WITHDRAWN:
            if not program.accepts_applications:
                raise ApplicationError(_("This program is not taking applications."))
            application.status = Application.Status.SUBMITTED
            application.decided_at = application.decided_by = None
        application.answers = answers
        _copy_columns(application, questions)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            # A second tab submitted the first application at the same moment.
            raise ApplicationError(_("You have applied already; reload the page.")) from None
    return application


def accepted_by_team(application, *, by):
    """Mark a new `application` accepted as a late joiner the program team (`by`) added:
    the one shape both ways in share (`joining.application_add_late` and a late admission
    in `application_submit`)."""
    application.status = Application.Status.ACCEPTED
    application.source = Application.Source.TEAM
    application.decided_at = timezone.now()
    application.decided_by = by


def application_withdraw(*, application):
    """Withdraw an application that is not yet in a pair or circle. Idempotent."""
    if application.status == Application.Status.WITHDRAWN:
        return application
    if _in_current_match(application):
        raise ApplicationError(
            _("You are already matched: to leave, opt out of your pair or circle instead.")
        )
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    return application


def application_record_opt_out(*, program, user, wants_new_partner, at=None):
    """Note on `user`'s application to `program` that they opted out, and whether they
    asked for a new partner. Called by the opt-out in its own transaction.

    Without a new partner asked for, the application leaves the pairing pool
    (`Application.in_pairing_pool`): no run, no hand edit and no publish pairs the
    person again until they ask themselves (`application_new_partner_choose`). A later
    opt-out replaces the earlier answer. Returns the number of applications changed
    (0 for someone matched without an application).
    """
    return Application.objects.filter(
        organization=program.organization, program=program, user=user
    ).update(
        opted_out_at=at or timezone.now(),
        wants_new_partner=bool(wants_new_partner),
        updated_at=timezone.now(),
    )


def application_new_partner_choose(*, application, wants_new_partner):
    """The person's own later answer to "pair me again?" after an opt-out.

    Only the person themself calls this: it is their consent to be paired again (or its
    withdrawal while they still wait). Raises ApplicationError when they have not opted
    out, or when the application is no longer accepted. Idempotent.
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(
            organization=application.organization, pk=application.pk
        )
        if locked.opted_out_at is None:
            raise ApplicationError(_("You have not opted out of this program."))
        if locked.status != Application.Status.ACCEPTED:
            raise ApplicationError(_("Your application is no longer accepted in this program."))
        if wants_new_partner is False and _in_current_match(locked):
            # Proposed or published: either way the team has acted on the consent given.
            raise ApplicationError(
                _(
                    "The program team has already found you a new partner. To stop, write to "
                    "them, or opt out of the new pair or circle once it starts."
                )
            )
        if locked.wants_new_partner != bool(wants_new_partner):
            locked.wants_new_partner = bool(wants_new_partner)
            locked.save(update_fields=["wants_new_partner", "updated_at"])
    return locked


def _in_current_match(application):
    return MatchMember.objects.filter(
        organization=application.organization,
        program=application.program_id,
        user=application.user_id,
        is_current=True,
    ).exists()


# --- Deciding -------------------------------------------------------------------------

DECISIONS = {
    "accept": Application.Status.ACCEPTED,
    "waitlist": Application.Status.WAITLISTED,
    "decline": Application.Status.DECLINED,
}


def applications_decide(*, program, application_ids, decision, decided_by):
    """Accept, wait-list or decline the given applications of `program`, emailing each.

    Only applications whose status changes are touched and emailed, so repeating a
    decision sends nothing twice. Withdrawn applications are skipped. Declining or
    wait-listing someone who sits in a pair or circle is refused as a whole (nothing
    changes). Returns the number of applications changed.
    """
    status = DECISIONS.get(decision)
    if status is None:
        raise ApplicationError(_("Choose accept, wait-list or decline."))
    with transaction.atomic():
        applications = list(
            Application.objects.select_for_update()
            .filter(organization=program.organization, program=program, pk__in=application_ids)
            .exclude(status__in=[status, Application.Status.WITHDRAWN])
            .select_related("user")
        )
        if status != Application.Status.ACCEPTED and applications:
            matched = set(
                MatchMember.objects.filter(
                    organization=program.organization,
                    program=program,
                    is_current=True,
                    user__in=[a.user_id for a in applications],
                ).values_list("user__email", flat=True)
            )
            if matched:
                raise ApplicationError(
                    _("Already in a pair or circle: %(people)s. Take them out first.")
                    % {"people": ", ".join(sorted(matched))}
                )
        now = timezone.now()
        for application in applications:
            application.status = status
            application.decided_at = now
            application.decided_by = decided_by
        Application.objects.bulk_update(applications, ["status", "decided_at", "decided_by"])
        if applications:
            audit_record(
                organization=program.organization,
                action=Action.APPLICATION_DECIDED,
                actor=decided_by,
                target=applications[0] if len(applications) == 1 else None,
                program=program,
                summary=(
                    f"{applications[0].user.display_name}: {Application.Status(status).label}"
                    if len(applications) == 1
                    else f"{len(applications)} applications: {Application.Status(status).label}"
                ),
            )
        for application in applications:
            message_queue(
                template="application_decision",
                to=[application.user],
                organization=program.organization,
                context={
                    "first_name": application.user.first_name,
                    "program_name": program.name,
                    "status": application.status,
                    "program_url": settings.SITE_URL + program.get_absolute_url(),
                },
            )
    return len(applications)


# --- CSV import -----------------------------------------------------------------------

# The applications file's fixed columns, (code, title), in the order an export writes
# them; the questions follow, named by their wording. The import reads "email" and
# "status", and skips the others (names come from the person's account).
CSV_COLUMNS = (
    ("email", gettext_lazy("Email")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("status", gettext_lazy("Status")),
    ("submitted_at", gettext_lazy("Submitted")),
)
CSV_FIXED = ("email", "status")
CSV_SKIPPED = ("first_name", "last_name", "name", "submitted_at")


def _csv_columns(header, questions):
    """Map each header cell to "email", "status" or a Question; raise on unknown columns.

    A fixed column is named by its code or its title in any configured language; the
    second cell naming it (a question worded "Estado", say) is read as a question."""
    names = csv_column_names(CSV_COLUMNS)
    names["name"] = "name"  # a column of older files
    by_label = {q.label.strip().casefold(): q for q in questions}
    by_id = {f"q{q.pk}": q for q in questions}
    columns, unknown = [], []
    for cell in header:
        name = cell.strip().casefold()
        code = names.get(csv_fold(cell))
        if code in CSV_FIXED and code not in columns:
            columns.append(code)
        elif name in by_label or name in by_id:
            columns.append(by_label.get(name) or by_id[name])
        elif not name or code in CSV_SKIPPED:
            # Names come from the person's account; the rest is what an export adds.
            columns.append(None)
        else:
            columns.append(None)
            unknown.append(cell)
    if "email" not in columns:
        raise CsvImportError([CsvRowError(1, _("The first line must include an “email” column."))])
    if unknown:
        raise CsvImportError(
            [
                CsvRowError(
                    1,
                    _("Unknown column(s): %(cols)s. Use the questions' exact wording.")
                    % {"cols": ", ".join(unknown)},
                )
            ]
        )
    return columns


def _split_multi(cell):
    return [part.strip() for part in cell.replace("|", ";").split(";") if part.strip()]


def applications_import_csv(*, program, data):
    """Create applications from a CSV file: every row valid, or nothing written.

    Columns: `email` (a member of the organisation), optional `status` (submitted,
    accepted, waitlisted, declined; submitted when empty) and one column per question,
    named by the question's wording; `email` and `status` may also be named by their
    title in any configured language, as an export writes them. Several choices in one
    cell are separated by `;` or `|`. Raises CsvImportError listing every bad row with its
    line number.
    """
    header, rows = csv_read_table(data)
    if len(rows) > APPLICATIONS_CSV_MAX_ROWS:
        raise CsvImportError(
            [
                CsvRowError(
                    0,
                    _("At most %(n)d rows per upload; split the file.")
                    % {"n": APPLICATIONS_CSV_MAX_ROWS},
                )
            ]
        )
    questions = questions_of(program)
    columns = _csv_columns(header, questions)
    organization = program.organization
    members = {
        email.lower(): user_id
        for email, user_id in Membership.objects.filter(organization=organization).values_list(
            "user__email", "user_id"
        )
    }
    applied = set(
        Application.objects.filter(organization=organization, program=program).values_list(
            "user_id", flat=True
        )
    )
    allowed_status = {s for s in Application.Status.values if s != Application.Status.WITHDRAWN}
    errors, parsed, seen = [], [], {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append(CsvRowError(line, _("More cells than columns.")))
            continue
        raw, email, status = {}, "", Application.Status.SUBMITTED
        for column, cell in zip(columns, row, strict=False):
            cell = cell.strip()
            if column == "email":
                email = cell.lower()
            elif column == "status":
                # The code an export writes or the label the pages show ("Wait-listed").
                status = choice_code(Application.Status, cell) or cell if cell else status
            elif isinstance(column, Question):
                raw[column.key] = _split_multi(cell) if column.is_multiple else cell
        problem = csv_email_problem(email, line=line, seen=seen)
        if problem:
            errors.append(CsvRowError(line, problem))
            continue
        if email not in members:
            errors.append(
                CsvRowError(
                    line,
                    _("%(email)s is not a member of this organisation yet: invite them first.")
                    % {"email": email},
                )
            )
            continue
        if members[email] in applied:
            errors.append(CsvRowError(line, _("%(email)s has applied already.") % {"email": email}))
            continue
        if status not in allowed_status:
            errors.append(
                CsvRowError(
                    line,
                    _("Status “%(status)s” is not one of: %(allowed)s.")
                    % {"status": status, "allowed": ", ".join(sorted(allowed_status))},
                )
            )
            continue
        answers, answer_errors = answers_clean(questions=questions, raw=raw)
        if answer_errors:
            labels = {q.key: q.label for q in questions}
            for key, messages in answer_errors.items():
                errors.append(CsvRowError(line, f"{labels[key]}: {' '.join(messages)}"))
            continue
        application = Application(
            organization=organization,
            program=program,
            user_id=members[email],
            status=status,
            source=Application.Source.CSV,
            answers=answers,
        )
        _copy_columns(application, questions)
        parsed.append(application)
    if errors:
        raise CsvImportError(errors)
    if not parsed:
        raise CsvImportError([CsvRowError(0, _("The file has no rows below the header."))])
    try:
        with transaction.atomic():
            return Application.objects.bulk_create(parsed)
    except IntegrityError:
        raise CsvImportError(
            [CsvRowError(0, _("Someone applied meanwhile; upload the file again."))]
        ) from None


def answer_display(question, answers):
    """One answer as text, for pages and exports."""
    value = answers.get(question.key)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    if question.kind == Question.Kind.PREFERRED_ROLE:
        return (
            Application.PreferredRole(value).label
            if value in Application.PreferredRole.values
            else value
        )
    return str(value)
