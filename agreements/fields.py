"""What each kind of agreement field accepts, stores and shows.

One place for the rules, used by the fill form, the canonical form that is signed, the
PDF and the typed terms the rest of peercoach reads. Values are stored as JSON:

- short/long text, single choice, date (ISO), number (normalised decimal text): a string
- multiple choice and bullet list: a list of strings
- duration: whole minutes (int)
- frequency: {"every": one of FREQUENCIES, "other": text when "every" is "other"}

`None` means not filled. Parsing never raises anything but ValidationError, whatever
the input, so bad input becomes a message next to the field.
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AgreementItem

Kind = AgreementItem.Kind

NUMBER = re.compile(r"-?[0-9]{1,10}(\.[0-9]{1,6})?")
SHORT_MAX = 300
LONG_MAX = 5000
LIST_MAX_ITEMS = 30

# (key, label, days between occurrences; None for "other").
FREQUENCIES = [
    ("weekly", gettext_lazy("Every week"), 7),
    ("fortnightly", gettext_lazy("Every two weeks"), 14),
    ("monthly", gettext_lazy("Once a month"), 30),
    ("bimonthly", gettext_lazy("Every two months"), 61),
    ("quarterly", gettext_lazy("Every three months"), 91),
    ("other", gettext_lazy("Other (say which)"), None),
]
FREQUENCY_LABELS = {key: label for key, label, _days in FREQUENCIES}
FREQUENCY_DAYS = {key: days for key, _label, days in FREQUENCIES}


def _text(raw, limit):
    text = raw.replace("\r\n", "\n").replace("\x00", "").strip()
    if len(text) > limit:
        raise ValidationError(
            _("Keep it under %(limit)s characters (this is %(length)s)."),
            params={"limit": limit, "length": len(text)},
        )
    return text


def parse(item, data):
    """The value of `item` from a submitted form (a QueryDict), or None when left empty.

    Raises ValidationError with a message for the person who typed it.
    """
    kind = item.kind
    raw = data.get("value", "")
    if not isinstance(raw, str):
        raw = ""
    if kind == Kind.SHORT_TEXT:
        return _text(raw, SHORT_MAX) or None
    if kind == Kind.LONG_TEXT:
        return _text(raw, LONG_MAX) or None
    if kind == Kind.SINGLE_CHOICE:
        raw = raw.strip()
        if not raw:
            return None
        if raw not in item.choices:
            raise ValidationError(_("Pick one of the options."))
        return raw
    if kind == Kind.MULTIPLE_CHOICE:
        picked = set(data.getlist("value"))
        unknown = picked - set(item.choices)
        if unknown:
            raise ValidationError(_("Pick only from the options."))
        return [choice for choice in item.choices if choice in picked] or None
    if kind == Kind.DATE:
        raw = raw.strip()
        if not raw:
            return None
        try:
            return datetime.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date such as 2026-03-31.")) from None
    if kind == Kind.NUMBER:
        raw = raw.strip().replace(",", ".")
        if not raw:
            return None
        # Plain digits only: "1e-999999" is ten characters and a million digits long.
        if len(raw) > 20 or not NUMBER.fullmatch(raw):
            raise ValidationError(_("Enter a number, such as 6 or 2.5."))
        number = Decimal(raw)
        if abs(number) >= 10**9:
            raise ValidationError(_("Enter a number below one billion."))
        return format(number.normalize(), "f")
    if kind == Kind.DURATION:
        return parse_duration(raw)
    if kind == Kind.FREQUENCY:
        every = data.get("every", "")
        every = every.strip() if isinstance(every, str) else ""
        if not every:
            return None
        if every not in FREQUENCY_LABELS:
            raise ValidationError(_("Pick one of the options."))
        other = data.get("other", "")
        other = _text(other if isinstance(other, str) else "", 200)
        if every == "other":
            if not other:
                raise ValidationError(_("Say how often, e.g. “twice a term”."))
            return {"every": "other", "other": other}
        return {"every": every, "other": ""}
    if kind == Kind.BULLET_LIST:
        lines = []
        for line in _text(raw, LONG_MAX).split("\n"):
            line = line.strip().lstrip("-•*").strip()
            if len(line) > SHORT_MAX:
                raise ValidationError(
                    _("Keep each point under %(limit)s characters."), params={"limit": SHORT_MAX}
                )
            if line:
                lines.append(line)
        if len(lines) > LIST_MAX_ITEMS:
            raise ValidationError(
                _("Keep the list to %(limit)s points."), params={"limit": LIST_MAX_ITEMS}
            )
        return lines or None
    raise ValidationError(_("This item is not a field."))


def parse_duration(raw):
    """Minutes from "45", "90 min", "1:30" or "1h30"; None when empty."""
    text = raw.strip().lower().replace(" ", "")
    if not text:
        return None
    if len(text) > 12:
        raise ValidationError(_("Enter minutes, such as 45, or hours and minutes, such as 1:30."))
    for suffix in ("minutes", "minute", "mins", "min", "m"):
        if text.endswith(suffix) and text[: -len(suffix)].isdecimal():
            text = text[: -len(suffix)]
            break
    minutes = None
    if text.isascii() and text.isdecimal():
        minutes = int(text)
    else:
        for separator in (":", "h"):
            hours, sep, rest = text.partition(separator)
            rest = rest.removesuffix("min").removesuffix("m")
            if sep and hours.isascii() and hours.isdecimal() and (rest == "" or rest.isdecimal()):
                minutes = int(hours) * 60 + (int(rest) if rest and rest.isascii() else 0)
                break
    if minutes is None:
        raise ValidationError(_("Enter minutes, such as 45, or hours and minutes, such as 1:30."))
    if not 1 <= minutes <= 24 * 60:
        raise ValidationError(_("Enter between 1 minute and 24 hours."))
    return minutes


def is_filled(value):
    return value not in (None, "", [], {})


def display(item, value):
    """The value as a person reads it ("" when empty)."""
    if not is_filled(value):
        return ""
    kind = item.kind if hasattr(item, "kind") else item["kind"]
    if kind == Kind.MULTIPLE_CHOICE or kind == Kind.BULLET_LIST:
        return "; ".join(value) if isinstance(value, list) else str(value)
    if kind == Kind.DURATION:
        return duration_display(value)
    if kind == Kind.FREQUENCY and isinstance(value, dict):
        if value.get("every") == "other":
            return value.get("other", "")
        return str(FREQUENCY_LABELS.get(value.get("every"), value.get("every", "")))
    if kind == Kind.DATE:
        try:
            return formats.date_format(datetime.date.fromisoformat(value), "LONG_DATE_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def duration_display(minutes):
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(minutes)s minutes") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": rest}


def frequency_days(value):
    """Days between occurrences for a frequency value, or None (other / empty)."""
    if isinstance(value, dict):
        return FREQUENCY_DAYS.get(value.get("every"))
    return None


def form_initial(item, value):
    """What the fill form shows for `value`: text for inputs, a list for checkboxes."""
    if not is_filled(value):
        return {"value": "", "values": [], "every": "", "other": ""}
    if item.kind == Kind.BULLET_LIST:
        return {"value": "\n".join(value), "values": [], "every": "", "other": ""}
    if item.kind == Kind.MULTIPLE_CHOICE:
        return {"value": "", "values": list(value), "every": "", "other": ""}
    if item.kind == Kind.FREQUENCY:
        return {"value": "", "values": [], **{"every": "", "other": ""}, **value}
    if item.kind == Kind.DURATION and isinstance(value, int) and value >= 60:
        return {"value": f"{value // 60}:{value % 60:02d}", "values": [], "every": "", "other": ""}
    return {"value": str(value), "values": [], "every": "", "other": ""}
