"""A real OpenID Connect provider on loopback, for the single sign-on tests.

Built on Authlib's generic authorization server (`authlib.oauth2` + `authlib.oidc.core`)
with a few lines of plain WSGI glue, served by `wsgiref` in a thread: discovery
(/.well-known/openid-configuration), JWKS (an RS256 key made per run), the authorization
code flow with PKCE (S256, required), the token endpoint (client_secret_post only), userinfo,
and a sign-in page where the browser test types who it is (email, names, email_verified,
amr). Authlib checks the client, its secret, the redirect URI, the code and its PKCE verifier
exactly as a production provider would; nothing here is mocked.

Test knobs (reset between tests by `reset()`): `user` (the claims the sign-in page starts
from), `id_token_issuer` (an `iss` other than the discovered issuer), `userinfo_enabled`.
"""

import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey

SCOPES = ["openid", "profile", "email"]
CLAIMS = ("email", "email_verified", "given_name", "family_name", "name")


def default_user():
    return {
        "sub": "",
        "email": "",
        "email_verified": True,
        "given_name": "Sam",
        "family_name": "Single",
        "amr": ["pwd"],
    }


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_post"

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return self.user.get("amr") or None


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload.data
        self.server.provider.codes[code] = AuthorizationCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=payload.get("redirect_uri"),
            scope=request.scope or payload.get("scope", ""),
            user=dict(request.user),
            nonce=payload.get("nonce"),
            code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        found = self.server.provider.codes.get(code)
        if found and found.client_id == client.get_client_id():
            return found
        return None

    def delete_authorization_code(self, authorization_code):
        self.server.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


def user_info(user, scope):
    info = UserInfo(sub=user["sub"])
    for claim in CLAIMS:
        if claim in user:
            info[claim] = user[claim]
    return info


class IdToken(OpenIDCode):
    def __init__(self, provider):
        super().__init__(require_nonce=False)
        self.provider = provider

    def resolve_client_private_key(self, client):
        return self.provider.key

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": self.provider.kid}

    def get_client_claims(self, client):
        return {
            "iss": self.provider.id_token_issuer or self.provider.issuer,
            "aud": [self.provider.id_token_audience or client.get_client_id()],
            "exp": int(time.time()) + self.provider.id_token_ttl,
        }

    def exists_nonce(self, nonce, request):
        return any(code.nonce == nonce for code in self.provider.codes.values())

    def generate_user_info(self, user, scope):
        return user_info(user, scope)


class Server(AuthorizationServer):
    """Authlib's framework-free server with the WSGI glue: requests in, (status, body,
    headers) out."""

    def __init__(self, provider):
        super().__init__(scopes_supported=SCOPES)
        self.provider = provider
        self.register_token_generator("default", BearerTokenGenerator(self._token))
        self.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(provider)])

    @staticmethod
    def _token(**kwargs):
        return secrets.token_urlsafe(32)

    def query_client(self, client_id):
        return self.provider.clients.get(client_id)

    def save_token(self, token, request):
        self.provider.tokens[token["access_token"]] = (request.user, token["scope"])

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass


class WsgiOAuth2Request(OAuth2Request):
    def __init__(self, environ, uri, form):
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        super().__init__(environ["REQUEST_METHOD"], uri, headers=headers)
        self._args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _ThreadingServer(WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
<p>Signing in to <strong>{client_id}</strong></p>
<form method="post" action="/authorize?{query}">
<label>Email <input name="email" type="email" value="{email}"></label>
<label>Given name <input name="given_name" value="{given_name}"></label>
<label>Family name <input name="family_name" value="{family_name}"></label>
<label><input type="checkbox" name="email_verified" value="1"{verified}> Email verified</label>
<label>Authentication methods <input name="amr" value="{amr}"></label>
<button type="submit">Sign in at the provider</button>
</form></main></body></html>
"""


class OidcProvider:
    """Start with `start()`, stop with `stop()`; `issuer` is its base URL."""

    def __init__(self, host="127.0.0.1", ports=range(8680, 8700)):
        self.host = host
        self.ports = ports
        self.kid = secrets.token_hex(4)
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": self.kid, "use": "sig", "alg": "RS256"}, private=True
        )
        self.clients = {}
        self.codes = {}
        self.tokens = {}
        self.server = Server(self)
        self.requests = []
        self.reset()

    # Knobs -------------------------------------------------------------------------------
    def reset(self):
        self.user = default_user()
        self.id_token_issuer = None
        self.discovery_issuer = None
        self.userinfo_sub = None
        self.id_token_audience = None
        self.id_token_ttl = 300
        self.authorization_host = None
        self.codes.clear()
        self.tokens.clear()
        self.requests.clear()

    def add_client(self, *, client_id, client_secret, redirect_uri):
        self.clients[client_id] = Client(client_id, client_secret, [redirect_uri])

    # Life --------------------------------------------------------------------------------
    def start(self):
        last_error = None
        for port in [*self.ports, 0]:
            try:
                self.httpd = make_server(
                    self.host, port, self.app, _ThreadingServer, handler_class=_QuietHandler
                )
                break
            except OSError as error:
                last_error = error
        else:  # pragma: no cover - every port busy
            raise last_error
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    @property
    def issuer(self):
        return f"http://{self.host}:{self.port}"

    def discovery(self):
        return {
            "issuer": self.discovery_issuer or self.issuer,
            "authorization_endpoint": (
                f"http://{self.authorization_host}:{self.port}/authorize"
                if self.authorization_host
                else f"{self.issuer}/authorize"
            ),
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": SCOPES,
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "amr", *CLAIMS],
        }

    # WSGI --------------------------------------------------------------------------------
    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        self.requests.append((method, path))
        form = {}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = dict(parse_qsl(environ["wsgi.input"].read(length).decode()))
        query = environ.get("QUERY_STRING", "")
        host = environ.get("HTTP_HOST") or f"{self.host}:{self.port}"
        uri = f"http://{host}{path}" + (f"?{query}" if query else "")
        request = WsgiOAuth2Request(environ, uri, form)
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
        }
        handler = routes.get(path)
        if handler is None:
            status, body, headers = 404, {"error": "not_found"}, []
        else:
            status, body, headers = handler(request)
        if isinstance(body, dict):
            body = json.dumps(body)
            headers = [*headers, ("Content-Type", "application/json")]
        reason = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized"}
        start_response(f"{status} {reason.get(status, 'Status')}", list(headers))
        return [body.encode()]

    def _discovery(self, request):
        return 200, self.discovery(), []

    def _jwks(self, request):
        return 200, {"keys": [self.key.as_dict(private=False)]}, []

    def _authorize(self, request):
        if request.method == "GET":
            try:
                grant = self.server.get_consent_grant(request, end_user=None)
            except Exception as error:  # an OAuth2Error: shown, as a provider would
                return 400, {"error": getattr(error, "error", str(error))}, []
            user = self.user
            page = LOGIN_PAGE.format(
                client_id=html.escape(grant.client.get_client_id()),
                query=html.escape(urlencode(request.args)),
                email=html.escape(user.get("email", "")),
                given_name=html.escape(user.get("given_name", "")),
                family_name=html.escape(user.get("family_name", "")),
                verified=" checked" if user.get("email_verified") else "",
                amr=html.escape(" ".join(user.get("amr") or [])),
            )
            return 200, page, [("Content-Type", "text/html; charset=utf-8")]
        form = request.form
        email = form.get("email", "").strip()
        user = {
            **self.user,
            "sub": self.user.get("sub") or f"sub-{email}",
            "email": email,
            "given_name": form.get("given_name", ""),
            "family_name": form.get("family_name", ""),
            "email_verified": bool(form.get("email_verified")),
            "amr": form.get("amr", "").split(),
        }
        grant = self.server.get_consent_grant(request, end_user=user)
        return self.server.create_authorization_response(request, grant_user=user, grant=grant)

    def _token(self, request):
        return self.server.create_token_response(request)

    def _userinfo(self, request):
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        found = self.tokens.get(token) if auth.startswith("Bearer ") else None
        if not found:
            return 401, {"error": "invalid_token"}, [("WWW-Authenticate", "Bearer")]
        user, scope = found
        info = dict(user_info(user, scope))
        if self.userinfo_sub:
            info["sub"] = self.userinfo_sub
        return 200, info, []


def idp_for(organization, provider, *, base_url, **fields):
    """An enabled OpenID Connect IdentityProvider for `organization` pointing at `provider`,
    with a client registered there for this site's redirect URI."""
    from django_scopes import scope

    from peercoach.sso.models import IdentityProvider

    client_id = f"peercoach-{organization.slug}"
    provider.add_client(
        client_id=client_id,
        client_secret=f"secret-{organization.slug}",
        redirect_uri=f"{base_url}/accounts/oidc/{organization.slug}/login/callback/",
    )
    values = {
        "protocol": IdentityProvider.Protocol.OIDC,
        "enabled": True,
        "issuer": provider.issuer,
        "client_id": client_id,
        "client_secret": f"secret-{organization.slug}",
        **fields,
    }
    with scope(organization=organization):
        return IdentityProvider.objects.create(organization=organization, **values)
