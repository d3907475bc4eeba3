"""English named formats: what the templates showed before there was a second language."""

LONG_DATE_FORMAT = "j F Y"  # 4 December 2026
DAY_MONTH_FORMAT = "j F"  # 4 December
WEEKDAY_DATE_FORMAT = "l j F Y"  # Friday 4 December 2026
WEEKDAY_MONTH_DAY_FORMAT = "l j F"  # Friday 4 December
LONG_DATETIME_ZONE_FORMAT = "j F Y, H:i T"  # 4 December 2026, 14:30 CET
WEEKDAY_DATETIME_FORMAT = "l j F Y, H:i"  # Friday 4 December 2026, 14:30
WEEKDAY_DATETIME_ZONE_FORMAT = "l j F Y, H:i T"  # Friday 4 December 2026, 14:30 CET
DAY_MONTH_TIME_FORMAT = "j F, H:i"  # 4 December, 14:30

# Short forms (tables, lists, logs): abbreviated month, as the templates always had.
SHORT_DAY_FORMAT = "j M Y"  # 4 Dec 2026
SHORT_DAY_MONTH_FORMAT = "j M"  # 4 Dec
SHORT_MONTH_YEAR_FORMAT = "M Y"  # Dec 2026
SHORT_DAY_TIME_FORMAT = "j M Y, H:i"  # 4 Dec 2026, 14:30
SHORT_DAY_TIME_SPACED_FORMAT = "j M Y H:i"  # 4 Dec 2026 14:30
SHORT_DAY_SECONDS_FORMAT = "j M Y, H:i:s"  # 4 Dec 2026, 14:30:05
SHORT_DAY_SECONDS_SPACED_FORMAT = "j M Y H:i:s"  # 4 Dec 2026 14:30:05
SHORT_DAY_MONTH_TIME_FORMAT = "j M H:i"  # 4 Dec 14:30
SHORT_WEEKDAY_DAY_FORMAT = "D j M Y"  # Fri 4 Dec 2026
SHORT_WEEKDAY_DAY_TIME_FORMAT = "D j M Y, H:i"  # Fri 4 Dec 2026, 14:30
SHORT_WEEKDAY_DAY_TIME_ZONE_FORMAT = "D j M Y, H:i T"  # Fri 4 Dec 2026, 14:30 CET
WEEKDAY_SHORT_DAY_TIME_FORMAT = "l j M Y, H:i"  # Friday 4 Dec 2026, 14:30
