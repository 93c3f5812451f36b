"""Keycloak-like token endpoint and HS256 JWTs (access and refresh tokens)."""

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import parse_qs, unquote_plus

from sandbox.config import Settings
from sandbox.faults import Faults

TOKEN_PATH = "/auth/realms/contabo/protocol/openid-connect/token"  # noqa: S105 - a path
UNAUTHORIZED = "You did not supply valid authentication credentials"


class TokenError(Exception):
    """A Keycloak-style token endpoint error: `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Issues and verifies the sandbox's JWTs, signed with a per-state-file secret."""

    def __init__(self, settings: Settings, faults: Faults, secret: bytes):
        self._settings = settings
        self._faults = faults
        self._secret = secret

    # -- JWT --------------------------------------------------------------------------------

    def _sign(self, claims: dict) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def _claims(self, token: str, kind: str) -> dict | None:
        """Claims of a well-signed, unexpired token of `kind` ("Bearer"/"Refresh"), else None."""
        try:
            header, payload, signature = token.split(".")
            signed = f"{header}.{payload}".encode()
            expected = hmac.new(self._secret, signed, hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            if json.loads(_unb64(header)).get("alg") != "HS256":
                return None
            claims = json.loads(_unb64(payload))
        except (ValueError, binascii.Error, UnicodeDecodeError, AttributeError):
            return None
        if not isinstance(claims, dict) or claims.get("typ") != kind:
            return None
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= time.time():
            return None
        return claims

    def verify_bearer(self, authorization: str | None) -> dict | None:
        """Claims of a valid `Authorization: Bearer <jwt>` header, else None."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._claims(token.strip(), "Bearer")

    def _issue(self, client_id: str, session_state: str) -> dict:
        settings = self._settings
        now = int(time.time())
        lifetime = self._faults.knobs.token_lifetime_s
        common = {
            "iat": now,
            "iss": "sandbox/auth/realms/contabo",
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, settings.username)),
            "azp": client_id,
            "session_state": session_state,
            "scope": "openid",
        }
        access = {
            **common,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            "typ": "Bearer",
            "tenantId": settings.tenant_id,
            "customerId": settings.customer_id,
            "email": settings.username,
        }
        refresh = {
            **common,
            "exp": now + settings.refresh_token_lifetime_s,
            "jti": str(uuid.uuid4()),
            "typ": "Refresh",
        }
        return {
            "access_token": self._sign(access),
            "expires_in": lifetime,
            "refresh_expires_in": settings.refresh_token_lifetime_s,
            "refresh_token": self._sign(refresh),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session_state,
            "scope": "openid",
        }

    # -- token endpoint ---------------------------------------------------------------------

    def _client_id(self, form: dict[str, str], authorization: str | None) -> str:
        """Authenticate the client from HTTP Basic or the form body; return its id."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                user, secret = "", ""
            client_id, client_secret = unquote_plus(user), unquote_plus(secret)
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        valid = hmac.compare_digest(client_id.encode(), self._settings.client_id.encode())
        valid &= hmac.compare_digest(client_secret.encode(), self._settings.client_secret.encode())
        if not valid:
            raise TokenError(401, "invalid_client", "Invalid client or Invalid client credentials")
        return client_id

    def grant(self, body: bytes, authorization: str | None) -> dict:
        """Answer a token request; raise TokenError for a Keycloak-style error."""
        try:
            parsed = parse_qs(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            parsed = {}
        form = {key: values[0] for key, values in parsed.items()}
        grant_type = form.get("grant_type")
        if not grant_type:
            raise TokenError(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type not in ("password", "refresh_token"):
            raise TokenError(400, "unsupported_grant_type", "Unsupported grant_type")
        client_id = self._client_id(form, authorization)
        if grant_type == "password":
            user_ok = hmac.compare_digest(
                form.get("username", "").encode(), self._settings.username.encode()
            )
            password_ok = hmac.compare_digest(
                form.get("password", "").encode(), self._settings.password.encode()
            )
            if not (user_ok and password_ok):
                raise TokenError(401, "invalid_grant", "Invalid user credentials")
            return self._issue(client_id, str(uuid.uuid4()))
        if not form.get("refresh_token"):
            raise TokenError(400, "invalid_request", "Missing parameter: refresh_token")
        claims = self._claims(form["refresh_token"], "Refresh")
        if claims is None:
            raise TokenError(400, "invalid_grant", "Invalid refresh token")
        if claims.get("azp") != client_id:
            raise TokenError(400, "invalid_grant", "Token client and authorized client don't match")
        return self._issue(client_id, str(claims.get("session_state", uuid.uuid4())))
