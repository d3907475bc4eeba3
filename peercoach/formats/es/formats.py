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

# Short forms: Spanish writes the abbreviations in lower case ("4 dic 2026", "vie"), so
# the month is `b` (Django's `M` capitalises it: "Dic"); Django's Spanish `D` is already
# lower case ("vie"). Same punctuation as the English forms.
SHORT_DAY_FORMAT = "j b Y"  # 4 dic 2026
SHORT_DAY_MONTH_FORMAT = "j b"  # 4 dic
SHORT_MONTH_YEAR_FORMAT = "b Y"  # dic 2026
SHORT_DAY_TIME_FORMAT = "j b Y, H:i"  # 4 dic 2026, 14:30
SHORT_DAY_TIME_SPACED_FORMAT = "j b Y H:i"  # 4 dic 2026 14:30
SHORT_DAY_SECONDS_FORMAT = "j b Y, H:i:s"  # 4 dic 2026, 14:30:05
SHORT_DAY_SECONDS_SPACED_FORMAT = "j b Y H:i:s"  # 4 dic 2026 14:30:05
SHORT_DAY_MONTH_TIME_FORMAT = "j b H:i"  # 4 dic 14:30
SHORT_WEEKDAY_DAY_FORMAT = "D j b Y"  # vie 4 dic 2026
SHORT_WEEKDAY_DAY_TIME_FORMAT = "D j b Y, H:i"  # vie 4 dic 2026, 14:30
SHORT_WEEKDAY_DAY_TIME_ZONE_FORMAT = "D j b Y, H:i T"  # vie 4 dic 2026, 14:30 CET
WEEKDAY_SHORT_DAY_TIME_FORMAT = "l, j b Y, H:i"  # viernes, 4 dic 2026, 14:30
