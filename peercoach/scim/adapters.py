"""django-scim2, per organisation: the User adapter, its filter, the published schema and
the service provider configuration (settings.SCIM_SERVICE_PROVIDER names them).

django-scim2 supplies the protocol (JSON documents, PATCH operations and their paths,
filters parsed by scim2-filter-parser, error responses); this module maps it onto
`ScimUser` resources of the organisation that the request's token belongs to
(`request.scim_organization`, set by views.ScimTokenAuth), and writes only through
services.py.
"""

import copy
import re
from urllib.parse import urljoin

from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scim import constants, exceptions
from django_scim.adapters import SCIMUser
from django_scim.models import SCIMServiceProviderConfig
from django_scim.schemas import ALL as PACKAGE_SCHEMAS

from peercoach.accounts.services import MembershipEndError

from . import services
from .filters import PATCH_MAP
from .models import ScimUser

USER = constants.SchemaURI.USER
EMAIL_TYPE = re.compile(r'emails\[\s*type\s+eq\s+"([^"]*)"\s*\]', re.IGNORECASE)

def _core_user_schema():
    """django-scim2's User schema cut down to what is stored: userName, name (given and
    family), emails and active. A client sees exactly what round-trips."""
    schema = copy.deepcopy(next(s for s in PACKAGE_SCHEMAS if s["id"] == USER))
    keep = {"userName", "name", "emails", "active"}
    schema["attributes"] = [a for a in schema["attributes"] if a["name"] in keep]
    for attribute in schema["attributes"]:
        if attribute["name"] == "name":
            attribute["subAttributes"] = [
                s for s in attribute["subAttributes"] if s["name"] in {"givenName", "familyName"}
            ]
        if attribute["name"] == "emails":
            attribute["subAttributes"] = [
                s for s in attribute["subAttributes"] if s["name"] in {"value", "type", "primary"}
            ]
    schema.setdefault("meta", {})["resourceType"] = "Schema"
    return schema


SCHEMAS = [_core_user_schema()]


def scim_user_model():
    return ScimUser


def schemas_getter():
    return SCHEMAS


def base_location(request=None, *args, **kwargs):
    return request.build_absolute_uri("/")


def extra_filter_kwargs_getter(model):
    def extra_filter_kwargs(request, *args, **kwargs):
        return {"organization_id": request.scim_organization.pk}

    return extra_filter_kwargs


def queryset_post_processor_getter(model):
    def post_process(request, queryset):
        return queryset.select_related("user")

    return post_process


def _slug(request):
    return request.scim_organization.slug


class ScimServiceProviderConfig(SCIMServiceProviderConfig):
    @property
    def location(self):
        return self.request.build_absolute_uri(
            reverse("scim:service-provider-config", kwargs={"slug": _slug(self.request)})
        )

    def to_dict(self):
        d = super().to_dict()
        d["filter"] = {"supported": True, "maxResults": 200}
        d["changePassword"] = {"supported": False}
        d["bulk"] = {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
        return d


def _scim_error(error):
    message = " ".join(error.messages)
    if isinstance(error, services.ScimConflict):
        return exceptions.IntegrityError(message, scim_type="uniqueness")
    if isinstance(error, MembershipEndError):
        return exceptions.BadRequestError(message, scim_type="mutability")
    return exceptions.BadRequestError(message, scim_type="invalidValue")


class ScimUserAdapter(SCIMUser):
    """A `ScimUser` as a SCIM User. `from_dict` and the PATCH handlers only change
    `self.values`; `save` hands them to the services."""

    id_field = "scim_id"
    ATTR_MAP = PATCH_MAP

    def __init__(self, obj, request=None):
        super().__init__(obj, request=request)
        self.values = {}

    @property
    def path(self):
        return reverse("scim:users", kwargs={"slug": _slug(self.request), "uuid": self.id})

    @property
    def location(self):
        return urljoin(base_location(self.request), self.path)

    @classmethod
    def resource_type_dict(cls, request=None):
        slug = _slug(request)
        return {
            "schemas": [constants.SchemaURI.RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": reverse("scim:users", kwargs={"slug": slug}),
            "description": "A member of the organisation",
            "schema": USER,
            "meta": {
                "location": request.build_absolute_uri(
                    reverse("scim:resource-types", kwargs={"slug": slug, "uuid": "User"})
                ),
                "resourceType": "ResourceType",
            },
        }

    def current(self):
        """The resource's attributes as the services name them, with pending changes."""
        obj = self.obj
        state = {field: getattr(obj, field) for field in services.FIELDS}
        state.update(self.values)
        return state

    def to_dict(self):
        state = self.current()
        d = {
            "schemas": [USER],
            "id": self.id,
            "userName": state["user_name"],
            "name": {"givenName": state["given_name"], "familyName": state["family_name"]},
            "emails": state["emails"],
            "active": state["active"],
            "meta": {
                "resourceType": "User",
                "created": self.obj.created_at.isoformat(),
                "lastModified": self.obj.updated_at.isoformat(),
                "location": self.location,
            },
        }
        if state["external_id"]:
            d["externalId"] = state["external_id"]
        return d

    def from_dict(self, d):
        name = d.get("name") or {}
        emails = d.get("emails") or []
        if isinstance(emails, dict):
            # OneLogin sends one email as an object (django-scim2 accepts it too).
            emails = [emails]
        self.values = {
            "user_name": d.get("userName") or "",
            "external_id": d.get("externalId") or "",
            "given_name": name.get("givenName") or "",
            "family_name": name.get("familyName") or "",
            "emails": [e for e in emails if isinstance(e, dict)],
            # PUT replaces: an absent active means active (RFC 7643 leaves it to us).
            "active": d.get("active", True),
        }

    def save(self):
        try:
            if self.obj.pk is None:
                self.obj = services.scim_user_create(
                    organization=self.request.scim_organization, **self.values
                )
            else:
                self.obj = services.scim_user_update(resource=self.obj, **self.values)
        except ValidationError as error:
            raise _scim_error(error) from None
        self.values = {}

    def delete(self):
        try:
            services.scim_user_delete(resource=self.obj)
        except ValidationError as error:
            raise _scim_error(error) from None

    # --- PATCH (RFC 7644 3.5.2), on `self.values` ------------------------------------

    def _set(self, path, value, op, raw_path=""):
        attr, sub, _uri = path.first_path
        state = self.current()
        if attr == "active":
            self.values["active"] = value
        elif attr in ("userName", "externalId"):
            self.values["user_name" if attr == "userName" else "external_id"] = (
                "" if op == "remove" else value
            )
        elif attr == "name":
            name = value if sub is None else {sub: value}
            for key, field in (("givenName", "given_name"), ("familyName", "family_name")):
                if op == "remove" and (sub is None or sub == key):
                    self.values[field] = ""
                elif isinstance(name, dict) and key in name:
                    self.values[field] = name[key] or ""
        elif attr == "emails":
            self.values["emails"] = self._emails(
                path, value, op, list(state["emails"]), raw_path
            )
        else:
            raise exceptions.BadRequestError(
                f"Attribute {attr} is not supported.", scim_type="invalidPath"
            )

    @staticmethod
    def _emails(path, value, op, emails, raw_path):
        if not path.is_complex:
            if op == "remove":
                return []
            new = value if isinstance(value, list) else [value]
            new = [e for e in new if isinstance(e, dict)]
            return emails + new if op == "add" else new
        # emails[type eq "work"].value, as Entra ID sends it.
        match = EMAIL_TYPE.search(raw_path or "")
        wanted = match[1] if match else None
        kept = [e for e in emails if wanted is not None and e.get("type") != wanted]
        if op == "remove":
            return kept
        return [{"value": value, "type": wanted or "work", "primary": True}, *kept]

    def _handle(self, path, value, operation):
        op = operation.get("op", "").lower()
        if path is None:
            if not isinstance(value, dict):
                raise exceptions.BadRequestError("A PATCH without path needs an object value.")
            for key, item in value.items():
                self._set(self.split_path(key), item, op)
        else:
            self._set(path, value, op, operation.get("path", ""))

    def handle_add(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_replace(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_remove(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_operations(self, operations):
        super().handle_operations(operations)
        self.save()
