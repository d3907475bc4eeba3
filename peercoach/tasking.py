"""`shared_task` for the apps' `tasks.py`, with the project's Celery app configured first.

The web process does not load Celery until something enqueues: `peercoach/__init__.py`
no longer imports the app (it cost a tenth of every start, see bench/startup.py), and
every `tasks.py` is imported only inside the function that queues its task. Celery's own
`shared_task` binds to whichever app is current when the task is first used; without
`peercoach.celery` imported that would be Celery's unconfigured default app (amqp on
localhost). So this wrapper imports the wiring module, by name as the registries do (the
kernel does not import the layer above it), before it defines the task. In a worker or
beat (`celery -A peercoach`) the app is already there and the import is a no-op.
"""

from importlib import import_module

APP_MODULE = "peercoach.celery"


def shared_task(*args, **options):
    """`celery.shared_task(*args, **options)`, after the project's app is set up."""
    import_module(APP_MODULE)
    from celery import shared_task as celery_shared_task

    return celery_shared_task(*args, **options)
