"""Spanish named formats: "4 de diciembre de 2026", weekday and date set off by a comma,
24-hour times (as Django's own Spanish formats)."""

LONG_DATE_FORMAT = r"j \d\e F \d\e Y"  # 4 de diciembre de 2026
DAY_MONTH_FORMAT = r"j \d\e F"  # 4 de diciembre
WEEKDAY_DATE_FORMAT = r"l, j \d\e F \d\e Y"  # viernes, 4 de diciembre de 2026
WEEKDAY_MONTH_DAY_FORMAT = r"l, j \d\e F"  # viernes, 4 de diciembre
LONG_DATETIME_ZONE_FORMAT = r"j \d\e F \d\e Y, H:i T"  # 4 de diciembre de 2026, 14:30 CET
WEEKDAY_DATETIME_FORMAT = r"l, j \d\e F \d\e Y, H:i"
WEEKDAY_DATETIME_ZONE_FORMAT = r"l, j \d\e F \d\e Y, H:i T"
DAY_MONTH_TIME_FORMAT = r"j \d\e F, H:i"  # 4 de diciembre, 14:30
