"""A person's time zone: their own setting, else their organisation's."""

import zoneinfo


def zone_name(user, organization):
    return (
        (getattr(user, "time_zone", "") or organization.time_zone)
        if user
        else organization.time_zone
    )


def zone_of(user, organization):
    return zoneinfo.ZoneInfo(zone_name(user, organization))
