from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "peercoach.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from .services import request_finished_receiver, request_started_receiver

        request_started.connect(request_started_receiver, dispatch_uid="audit_request_started")
        request_finished.connect(request_finished_receiver, dispatch_uid="audit_request_finished")
