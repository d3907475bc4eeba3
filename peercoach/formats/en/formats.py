"""English named formats: what the templates showed before there was a second language."""

LONG_DATE_FORMAT = "j F Y"  # 4 December 2026
DAY_MONTH_FORMAT = "j F"  # 4 December
WEEKDAY_DATE_FORMAT = "l j F Y"  # Friday 4 December 2026
WEEKDAY_MONTH_DAY_FORMAT = "l j F"  # Friday 4 December
LONG_DATETIME_ZONE_FORMAT = "j F Y, H:i T"  # 4 December 2026, 14:30 CET
WEEKDAY_DATETIME_FORMAT = "l j F Y, H:i"  # Friday 4 December 2026, 14:30
WEEKDAY_DATETIME_ZONE_FORMAT = "l j F Y, H:i T"  # Friday 4 December 2026, 14:30 CET
DAY_MONTH_TIME_FORMAT = "j F, H:i"  # 4 December, 14:30
