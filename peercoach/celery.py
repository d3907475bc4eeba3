"""The Celery application: configured from Django settings (namespace CELERY).

Queues: `default`, `email`, `pdf` (declared here, not in settings, so that reading the
settings does not load kombu). Without REDIS_URL tasks run in-process
(`task_always_eager`), so the embedded mode takes exactly the same code path.

Nothing imports this module at start-up: `celery -A peercoach` finds it as the package's
`celery` submodule, and the web process imports it when it first defines a task
(`peercoach.tasking.shared_task`), which is when something first enqueues.
"""

import os

from celery import Celery
from kombu import Queue

from .logs import task_logging_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")

app = Celery("peercoach")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("default"), Queue("email"), Queue("pdf")]
app.autodiscover_tasks()
task_logging_connect()
