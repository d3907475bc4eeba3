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
from django.utils.translation import gettext as _
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
            # A new person needs an address: userName when it is one, else an email.
            attribute["required"] = True
            attribute["subAttributes"] = [
                s for s in attribute["subAttributes"] if s["name"] in {"value", "type", "primary"}
            ]
            for sub in attribute["subAttributes"]:
                sub["required"] = sub["name"] == "value"
    schema["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
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


def _names(value):
    return {n.strip() for n in (value or "").split(",") if n.strip()}


def project(document, request):
    """`document` with only the `attributes`, or without the `excludedAttributes`, that the
    request names (RFC 7644 3.4.2.5), top-level or as name.givenName; id and schemas are
    always returned."""
    if request is None:
        return document
    wanted = _names(request.GET.get("attributes"))
    unwanted = _names(request.GET.get("excludedAttributes"))
    if not wanted and not unwanted:
        return document
    prefix = USER.lower() + ":"

    def bare(name):
        name = name.lower()
        return name[len(prefix) :] if name.startswith(prefix) else name

    wanted, unwanted = {bare(n) for n in wanted}, {bare(n) for n in unwanted}
    result = {}
    for key, value in document.items():
        k = key.lower()
        if key in ("id", "schemas"):
            result[key] = value
        elif wanted:
            if k in wanted:
                result[key] = value
            elif isinstance(value, dict):
                inner = {s: v for s, v in value.items() if f"{k}.{s.lower()}" in wanted}
                if inner:
                    result[key] = inner
        elif k not in unwanted:
            if isinstance(value, dict):
                value = {s: v for s, v in value.items() if f"{k}.{s.lower()}" not in unwanted}
            result[key] = value
    return result


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
        d["authenticationSchemes"] = [
            {
                **scheme,
                "description": str(
                    _("The organisation's provisioning token: Authorization: Bearer <token>")
                ),
            }
            for scheme in d["authenticationSchemes"]
        ]
        return d


def _boolean(value):
    """A boolean, or the text "True"/"False" that Entra ID sends in PATCH operations unless
    its application uses the aadOptscim062020 flag."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise exceptions.BadRequestError('"active" must be true or false.', scim_type="invalidValue")


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
            # Relative to the base URL (RFC 7643 6).
            "endpoint": "/Users",
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
            "meta": {
                "resourceType": "User",
                "created": self.obj.created_at.isoformat(),
                "lastModified": self.obj.updated_at.isoformat(),
                "location": self.location,
            },
        }
        # Unassigned attributes are left out (RFC 7643 2.5).
        name = {
            key: state[field]
            for key, field in (("givenName", "given_name"), ("familyName", "family_name"))
            if state[field]
        }
        optional = {
            "externalId": state["external_id"],
            "name": name,
            "emails": state["emails"],
            "active": state["active"],
        }
        d.update({key: value for key, value in optional.items() if value not in ("", {}, [], None)})
        return project(d, self.request)

    def from_dict(self, d):
        name = d.get("name") if isinstance(d.get("name"), dict) else {}
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
            # Removing it leaves it unassigned, which is taken as active.
            self.values["active"] = None if op == "remove" else _boolean(value)
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
            self.values["emails"] = self._emails(path, value, op, list(state["emails"]), raw_path)
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

    def validate_op_remove(self, path, value, operation):
        # A removal carries no value to check (django-scim2's check wants a boolean).
        return None

    def validate_op_replace(self, path, value, operation):
        if path and not path.is_complex and path.first_path[0] == "active":
            _boolean(value)
        elif path:
            self._default_validate_op(path, value, operation)

    validate_op_add = validate_op_replace

    def handle_add(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_replace(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_remove(self, path, value, operation):
        self._handle(path, value, operation)

    def handle_operations(self, operations):
        super().handle_operations(operations)
        self.save()
