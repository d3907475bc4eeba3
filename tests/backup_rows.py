"""Every row of every table, for comparing an installation with its restored copy.

Run in the test process and, as `python -m tests.backup_rows`, in the restored one: both
sides go through the same code and the same JSON encoding.
"""

import json

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django_scopes import scopes_disabled


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, bytes | memoryview):
            return bytes(o).hex()
        return super().default(o)


def all_rows():
    """{model label: [row values ordered by pk]} for every model, through tables included."""
    with scopes_disabled():
        rows = {
            model._meta.label: list(model._base_manager.order_by("pk").values())
            for model in apps.get_models(include_auto_created=True)
        }
    return json.loads(json.dumps(rows, cls=_Encoder))


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")
    django.setup()
    print(json.dumps(all_rows()))
