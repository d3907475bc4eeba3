# The Celery app is not imported here: `celery -A peercoach` finds peercoach.celery by
# itself, and the web process loads Celery only when it enqueues (peercoach/tasking.py).
