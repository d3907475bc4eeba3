from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Debrief surveys"
    default_auto_field = "django.db.models.BigAutoField"
