"""The Celery application: configured from Django settings (namespace CELERY).

Queues: `default`, `email`, `pdf`. Without REDIS_URL tasks run in-process
(`task_always_eager`), so the embedded mode takes exactly the same code path.
"""

import os

from celery import Celery

from .logs import task_logging_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")

app = Celery("peercoach")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
task_logging_connect()
