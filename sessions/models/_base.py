from django.db import models


def org_id_unique(name):
    """`UniqueConstraint(organization, id)`: what a distributed (Citus) table needs."""
    return models.UniqueConstraint(fields=["organization", "id"], name=name)
