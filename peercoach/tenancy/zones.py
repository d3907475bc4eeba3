"""A person's time zone: their own setting, else their organisation's, else UTC.

A name that zoneinfo does not know (a setting made before a zone was retired, say) is
passed over rather than failing a page or a reminder run."""

import zoneinfo


def zone_name(user, organization):
    for name in (getattr(user, "time_zone", "") if user else "", organization.time_zone):
        if name:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def zone_of(user, organization):
    return zoneinfo.ZoneInfo(zone_name(user, organization))
