from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.models import Membership
from peercoach.tenancy.selectors import members_for_organization
from peercoach.web.ratelimit import over_limit

from . import services
from .forms import (
    AcceptNewAccountForm,
    DeleteAccountForm,
    InviteCsvForm,
    InviteForm,
    ProfileForm,
)
from .models import Invitation, User
from .selectors import invitations_for_organization

PAGE_SIZE = 50
EXPORT_LIMIT, EXPORT_PERIOD = 5, 3600
PASSWORD_LIMIT, PASSWORD_PERIOD = 5, 900


@coordinator_required
def people(request, org_slug):
    organization = request.organization
    members = Paginator(members_for_organization(organization=organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/people.html",
        {
            "members": members,
            "invitations": invitations_for_organization(organization=organization)[:PAGE_SIZE],
            "invite_form": InviteForm(),
        },
    )


@coordinator_required
def invite(request, org_slug):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=request.organization, invited_by=request.user, **form.cleaned_data
            )
        except services.InvitationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:people", org_slug=request.organization.slug)
    return render(
        request,
        "accounts/invite.html",
        {"form": form, "invitation_ttl_days": settings.INVITATION_TTL_DAYS},
    )


@coordinator_required
def invite_csv(request, org_slug):
    form = InviteCsvForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invitations_import_csv(
                organization=request.organization,
                data=form.cleaned_data["file"].read(),
                invited_by=request.user,
            )
        except services.CsvImportError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("%(n)d invitations created and sent.") % {"n": len(created)},
            )
            return redirect("accounts:people", org_slug=request.organization.slug)
    # Any page shown after a POST means the upload was refused.
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/invite_csv.html", {"form": form, "errors": errors}, status=status
    )


def _invitation_action(request, pk, service, success, action):
    """Run `service` on one of this organisation's invitations; report the outcome."""
    invitation = get_object_or_404(Invitation, pk=pk, organization=request.organization)
    try:
        with transaction.atomic():
            service(invitation=invitation)
            audit_record(
                organization=request.organization,
                action=action,
                request=request,
                target=invitation,
                summary=invitation.email,
            )
    except services.InvitationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, success % {"email": invitation.email})
    return redirect("accounts:people", org_slug=request.organization.slug)


@coordinator_required
@require_POST
def invitation_resend(request, org_slug, pk):
    return _invitation_action(
        request,
        pk,
        services.invitation_resend,
        _("A new link was sent to %(email)s."),
        Action.INVITATION_SENT,
    )


@coordinator_required
@require_POST
def invitation_revoke(request, org_slug, pk):
    return _invitation_action(
        request,
        pk,
        services.invitation_revoke,
        _("The invitation for %(email)s was withdrawn."),
        Action.INVITATION_REVOKED,
    )


@coordinator_required
@require_POST
def member_remove(request, org_slug, pk):
    """The people page's "Remove": the first POST shows what will happen, the confirmed
    one ends the membership (services.membership_end)."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, organization=request.organization
    )
    person = membership.user
    if request.POST.get("confirm") != "yes":
        return render(request, "accounts/member_remove.html", {"member": membership})
    try:
        services.membership_end(
            organization=request.organization,
            user=person,
            actor=request.user,
            reason="removed by a coordinator",
        )
    except services.MembershipEndError as exc:
        messages.error(request, exc.messages[0])
        return redirect("accounts:people", org_slug=request.organization.slug)
    messages.success(
        request,
        _("%(name)s is no longer a member of %(org)s.")
        % {"name": person.display_name, "org": request.organization.name},
    )
    if person.pk == request.user.pk:
        return redirect("home")
    return redirect("accounts:people", org_slug=request.organization.slug)


def invitation_accept(request, token):
    """Public: the link from the invitation email."""
    try:
        invitation = services.invitation_from_token(token=token)
    except services.InvitationError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": exc.messages[0]}, status=410
        )
    organization = invitation.organization
    existing = User.objects.filter(email__iexact=invitation.email).first()
    user = request.user if request.user.is_authenticated else None

    if existing is not None and user is None:
        messages.info(
            request,
            _("You already have an account. Sign in as %(email)s to join %(org)s.")
            % {"email": invitation.email, "org": organization.name},
        )
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
    if user is not None and user.email.lower() != invitation.email.lower():
        return render(
            request,
            "accounts/invitation_invalid.html",
            {
                "reason": _(
                    "This invitation is for %(email)s, but you are signed in as %(you)s. "
                    "Sign out, then open the link again."
                )
                % {"email": invitation.email, "you": user.email}
            },
            status=403,
        )

    form = (
        None
        if user
        else AcceptNewAccountForm(
            request.POST or None,
            email=invitation.email,
            initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
        )
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if user is None:
                user = services.invitation_accept(
                    invitation=invitation,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                services.invitation_accept(invitation=invitation, user=user)
        except services.InvitationError as exc:
            return render(
                request, "accounts/invitation_invalid.html", {"reason": exc.messages[0]}, status=410
            )
        messages.success(request, _("Welcome to %(org)s.") % {"org": organization.name})
        # Only a path inside the same organisation (the open application link sets one).
        if invitation.next_path.startswith(f"/o/{organization.slug}/"):
            return redirect(invitation.next_path)
        return redirect("portal:home", org_slug=organization.slug)
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "invited_org": organization, "form": form},
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def language(request):
    """The language switcher (base.html's person menu, and the visitors' menu): saved to
    the profile of a signed-in person, and in the language cookie for everyone (so the
    choice outlives signing out). Back to the page it was made on."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        messages.error(request, _("Choose one of the languages in the list."))
        return redirect(target)
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=code)
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# --- The person's own data: download it, or delete the account ------------------------------
# Both pages are about the signed-in person alone, so every member of the organisation
# reaches them; nobody can reach anyone else's.


@never_cache
def my_data(request, org_slug):
    """GET: what the download holds. POST: the zip."""
    organization = request.organization
    if request.method == "POST":
        key = f"accounts:export:{organization.pk}:{request.user.pk}"
        if over_limit(key, limit=EXPORT_LIMIT, period=EXPORT_PERIOD):
            messages.error(
                request,
                _("You downloaded your data %(n)d times in the last hour. Try again later.")
                % {"n": EXPORT_LIMIT},
            )
            return redirect("accounts:my_data", org_slug=organization.slug)
        content = services.data_export(organization=organization, user=request.user)
        stamp = timezone.localdate().isoformat()
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="peercoach-{organization.slug}-my-data-{stamp}.zip"'
        )
        return response
    return render(request, "accounts/my_data.html", {"export_limit": EXPORT_LIMIT})


def _coordinates_somewhere(user):
    with scopes_disabled():  # the person's roles in every organisation
        return Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).exists()


@never_cache
def delete_account(request, org_slug):
    """GET: what goes and what stays. POST: delete, after typing the email (and the
    current password when the account has one)."""
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST":
        key = f"accounts:delete:{user.pk}"
        if "password" in form.fields and over_limit(
            key, limit=PASSWORD_LIMIT, period=PASSWORD_PERIOD
        ):
            messages.error(request, _("Too many attempts. Wait a few minutes and try again."))
            return redirect("accounts:delete_account", org_slug=request.organization.slug)
        if form.is_valid():
            try:
                services.account_delete(user=user)
            except services.AccountDeleteError as exc:
                messages.error(request, exc.messages[0])
                return redirect("accounts:delete_account", org_slug=request.organization.slug)
            logout(request)
            messages.success(
                request,
                _("Your account was deleted. Thank you for taking part in peer coaching."),
            )
            return redirect("home")
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "coordinates": _coordinates_somewhere(user)},
    )
