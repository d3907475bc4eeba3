"""Forms of the organisation's settings page."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import colour_validator

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
# Raster formats only: an SVG can carry script, and the logo is served from our origin.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
POLICY_MAX_CHARS = 20_000


def time_zone_choices(current=""):
    """UTC and the Area/City zones, grouped by area; `current` is kept when it is a zone
    zoneinfo knows but the list leaves out (an alias such as "US/Eastern")."""
    known = zoneinfo.available_timezones()
    groups = {}
    for zone in sorted(known):
        area, _sep, _rest = zone.partition("/")
        if area in ZONE_AREAS:
            groups.setdefault(area, []).append((zone, zone.replace("_", " ")))
    choices = [("UTC", "UTC")]
    if current and current in known and current != "UTC" and current.split("/")[0] not in groups:
        choices.append((current, current.replace("_", " ")))
    return choices + list(groups.items())


def language_choices():
    """Each language in its own name ("English", "Español")."""
    return [("", _("Each person's browser language"))] + [
        (code, capfirst(get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


def contrast_ratio(first, second):
    """WCAG contrast ratio of two "#rrggbb" colours (1 to 21)."""

    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


class LogoField(forms.ImageField):
    """An image upload refused before decoding when too large, and after it unless it is a
    raster format of sensible dimensions."""

    def to_python(self, data):
        if data and getattr(data, "size", 0) > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("The logo is larger than %(n)s MB; choose a smaller image."),
                code="logo_size",
                params={"n": LOGO_MAX_BYTES // (1024 * 1024)},
            )
        upload = super().to_python(data)
        if upload is None:
            return None
        image = upload.image
        if image.format not in LOGO_FORMATS:
            raise forms.ValidationError(
                _("Upload the logo as a PNG, JPEG, WebP or GIF image."), code="logo_format"
            )
        width, height = image.size
        if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
            raise forms.ValidationError(
                _("The logo is %(w)s × %(h)s pixels; keep each side under %(max)s."),
                code="logo_dimensions",
                params={"w": width, "h": height, "max": LOGO_MAX_SIDE},
            )
        upload.logo_extension = LOGO_FORMATS[image.format]
        return upload


class OrganizationSettingsForm(forms.Form):
    """Branding, help address, time zone, policy and the two-factor rule.

    A plain form, not a ModelForm on `request.organization`: validating a ModelForm
    writes the posted values onto its instance, and base.html renders that instance's
    colour into the page's style before the values were found valid.
    """

    FIELDS = (
        "name",
        "brand_colour",
        "help_email",
        "time_zone",
        "default_language",
        "policy_text",
        "require_coordinator_mfa",
    )

    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    logo = LogoField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 1 MB. It is shown 32 pixels high in the header."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)
    brand_colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        help_text=_("# and six hex digits, e.g. #1f4e79. The header uses it as its background."),
        widget=forms.TextInput(attrs={"class": "pc-short", "spellcheck": "false"}),
    )
    help_email = forms.EmailField(
        label=_("Help and contact address"),
        required=False,
        help_text=_(
            "Shown at the foot of every page and in emails: where members write with "
            "questions, opt-outs and concerns."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
        help_text=_("Reminders go out in the morning of this zone, unless a person set their own."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        required=False,
        error_messages={"invalid_choice": _("Choose a language from the list.")},
        help_text=_(
            "The pages and emails of members who have not chosen a language of their own, "
            "and new agreements. Coordinator-written text (programs, questions, clauses) "
            "stays as written."
        ),
    )
    policy_text = forms.CharField(
        label=_("Policy text"),
        required=False,
        max_length=POLICY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "The privacy and conduct policy members read on their home page. Blank lines "
            "separate paragraphs."
        ),
    )
    require_coordinator_mfa = forms.BooleanField(
        label=_("Require coordinators to use two-factor authentication"),
        required=False,
        help_text=_(
            "Coordinators without an authenticator app are asked to set one up before they "
            "can open any page of the organisation."
        ),
    )

    def __init__(self, *args, organization, actor_has_second_factor, **kwargs):
        self.organization = organization
        self.actor_has_second_factor = actor_has_second_factor
        kwargs.setdefault("initial", {name: getattr(organization, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices(organization.time_zone)
        self.fields["default_language"].choices = language_choices()

    def clean_brand_colour(self):
        value = self.cleaned_data["brand_colour"].strip().lower()
        if value and not value.startswith("#"):
            value = f"#{value}"
        colour_validator(value)
        return value

    def clean_name(self):
        value = self.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError(_("Give the organisation a name."))
        return value

    def clean(self):
        data = super().clean()
        if (
            data.get("require_coordinator_mfa")
            and not self.organization.require_coordinator_mfa
            and not self.actor_has_second_factor
        ):
            self.add_error(
                "require_coordinator_mfa",
                _(
                    "Set up two-factor authentication for your own account first: with the "
                    "rule on and no authenticator app, you would be locked out of this page."
                ),
            )
        if data.get("logo") and data.get("remove_logo"):
            self.add_error("logo", _("Either upload a new logo or remove it, not both."))
        return data

    def changes(self):
        """{field: new value} for the plain fields (the logo is handled apart)."""
        return {name: self.cleaned_data[name] for name in self.FIELDS}
