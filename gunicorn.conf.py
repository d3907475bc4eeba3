"""gunicorn for peercoach, sized by the environment.

    gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000 peercoach.wsgi:application

WEB_CONCURRENCY worker processes (default 2), each with WEB_THREADS threads (default 1;
more than one switches to the gthread worker). Every thread holds at most one database
connection from its process's pool, so keep WEB_THREADS at or below DATABASE_POOL_MAX.
WEB_TIMEOUT seconds (default 30) before a silent worker is killed and restarted: the
reverse proxy's read timeout should be a little longer.
"""

import os


def _positive_int(name, default):
    value = os.environ.get(name, default)
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


workers = _positive_int("WEB_CONCURRENCY", "2")
threads = _positive_int("WEB_THREADS", "1")
worker_class = "gthread" if threads > 1 else "sync"
timeout = _positive_int("WEB_TIMEOUT", "30")
# Django writes one structured line per request (peercoach/logs.py) without the query
# string, where tokens travel: no second, raw access log.
accesslog = None
errorlog = "-"
# gunicorn's control socket (for gunicornc) lives in $HOME, which the image's user may not
# write: it would only warn at every start, and nothing here uses it.
control_socket_disable = True
