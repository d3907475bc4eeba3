"""Template versions: the current one, whether it is frozen, and the next one.

A template version that anyone has signed against (even a signature voided later) is
frozen: what that signature covered must stay readable exactly as it was. Editing a
frozen template first copies it into the next version, items keeping their `key`, and
the edit applies to the copy. Agreements keep the version they were made from; new
agreements and amendments use the program's current (highest) version.
"""

from django.db import transaction

from ..models import AgreementItem, AgreementTemplate, Signature


def template_current(program):
    """The program's current template version, or None when it has none yet."""
    return (
        AgreementTemplate.objects.filter(organization=program.organization, program=program)
        .order_by("-version")
        .first()
    )


def template_is_frozen(template):
    return Signature.objects.filter(
        organization=template.organization, agreement__template=template
    ).exists()


def template_for_edit(*, program, user):
    """The version edits go to: the current one, or a fresh copy when it is frozen.

    Creates version 1 when the program has no template. Call inside a transaction that
    serialises edits of this program's template (the services that edit do).
    """
    current = (
        AgreementTemplate.objects.select_for_update()
        .filter(organization=program.organization, program=program)
        .order_by("-version")
        .first()
    )
    if current is None:
        return AgreementTemplate.objects.create(
            organization=program.organization, program=program, version=1, created_by=user
        )
    if not template_is_frozen(current):
        return current
    return template_copy(current, program=program, version=current.version + 1, user=user)


@transaction.atomic
def template_copy(template, *, program, version, user):
    """A copy of `template` (and its items, keys kept) as `version` of `program`."""
    copy = AgreementTemplate.objects.create(
        organization=program.organization,
        program=program,
        version=version,
        title=template.title,
        introduction=template.introduction,
        coordinator_sees_pdf=template.coordinator_sees_pdf,
        language=template.language,
        created_by=user,
    )
    AgreementItem.objects.bulk_create(
        [
            AgreementItem(
                organization=program.organization,
                template=copy,
                key=item.key,
                position=item.position,
                kind=item.kind,
                title=item.title,
                body=item.body,
                help_text=item.help_text,
                required=item.required,
                per_party=item.per_party,
                choices=item.choices,
                purpose=item.purpose,
            )
            for item in AgreementItem.objects.filter(
                organization=template.organization, template=template
            ).order_by("position", "id")
        ]
    )
    return copy
