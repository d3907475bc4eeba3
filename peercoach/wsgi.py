"""The WSGI application, as each gunicorn worker imports it.

The URL conf (every view module) is loaded here, at the worker's start, rather than by its
first request. The cyclic GC is off while all that is imported: peercoach.ops's ready()
turns it on again, and what the URL conf built is frozen with the rest (see there).
"""

import gc
import os

gc.disable()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import get_resolver  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - loads the URL conf now, not at the first request
gc.freeze()
gc.enable()
