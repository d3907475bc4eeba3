"""The organisation's settings page (coordinators): the organisation's own settings and
its program team, who handle confidential concerns."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.selectors import has_second_factor
from peercoach.web.forms import object_id
from peercoach.web.views import form_error
from sessions.services.concerns import concern_handlers_set

from ..forms.settings import OrganizationSettingsForm, contrast_ratio
from ..selectors.settings import program_team
from ..services.settings import organization_settings_update

FIELD_NAMES = {
    "name": gettext_lazy("name"),
    "logo": gettext_lazy("logo"),
    "brand_colour": gettext_lazy("brand colour"),
    "help_email": gettext_lazy("help address"),
    "time_zone": gettext_lazy("time zone"),
    "default_language": gettext_lazy("default language"),
    "policy_text": gettext_lazy("policy text"),
    "require_coordinator_mfa": gettext_lazy("two-factor rule"),
}


@never_cache
@coordinator_required
def organization_settings(request, org_slug):
    """Coordinators: branding, help address, time zone, policy, the two-factor rule and
    the program team (who handles confidential concerns). Two forms on one page, told
    apart by the `form` field of the POST."""
    organization = request.organization
    actor_has_factor = has_second_factor(user=request.user)
    form_kwargs = {"organization": organization, "actor_has_second_factor": actor_has_factor}
    form = OrganizationSettingsForm(**form_kwargs)
    team_error = ""
    status = 200
    if request.method == "POST" and request.POST.get("form") == "team":
        team_error = _team_save(request)
        if not team_error:
            return redirect_to_team(organization)
        status = 400
    elif request.method == "POST":
        form = OrganizationSettingsForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                changed = organization_settings_update(
                    organization=organization,
                    changes=form.changes(),
                    logo=form.cleaned_data.get("logo"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                    request=request,
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                if changed:
                    messages.success(
                        request,
                        _("Saved: %(fields)s.")
                        % {"fields": ", ".join(str(FIELD_NAMES[name]) for name in changed)},
                    )
                else:
                    messages.info(request, _("Nothing had changed."))
                return redirect("workspace:settings", org_slug=organization.slug)
        status = 400
    team = program_team(organization=organization)
    context = {
        "form": form,
        "team": team,
        "team_error": team_error,
        "actor_has_second_factor": actor_has_factor,
        # The person at the keyboard gets their own warning instead.
        "without_second_factor": [
            m for m in team if not m.has_second_factor and m.user_id != request.user.pk
        ],
        "handler_count": sum(1 for m in team if m.handles_concerns),
        "brand_contrast": round(
            contrast_ratio(organization.brand_colour, organization.brand_text_colour), 1
        ),
    }
    return render(request, "workspace/settings.html", context, status=status)


def redirect_to_team(organization):
    response = redirect("workspace:settings", org_slug=organization.slug)
    response["Location"] += "#program-team"
    return response


def _team_save(request):
    """Save the program team form; an error message, or "" when it was saved."""
    ids = [object_id(value) for value in request.POST.getlist("handles_concerns")]
    if None in ids:
        return _("Choose coordinators from the list.")
    try:
        changed = concern_handlers_set(
            organization=request.organization, handler_ids=ids, request=request
        )
    except ValidationError as exc:
        return exc.messages[0]
    if not changed:
        messages.info(request, _("Nothing had changed."))
    for membership in changed:
        text = (
            _("%(name)s now handles confidential concerns.")
            if membership.handles_concerns
            else _("%(name)s no longer handles confidential concerns.")
        )
        messages.success(request, text % {"name": membership.user.display_name})
    if not ids:
        messages.warning(
            request,
            _(
                "Nobody handles confidential concerns now: a participant who raises one "
                "waits until a coordinator is named here."
            ),
        )
    return ""
