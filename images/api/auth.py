"""Who calls: a personal API token (`Authorization: Bearer cimg_...`), or the browser's session
(DRF's SessionAuthentication, which keeps CSRF checks on writes)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from images.services import tokens

SCHEMES = ("bearer", "token")


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (or `Token <token>`): the token's user, `request.auth`
    the ApiToken. A revoked, expired or unknown token is a 401, never a fallback to anonymous."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as `Authorization: Bearer <token>`."
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token has characters no token has.") from exc
        token = tokens.active_token(secret)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Unknown, revoked or expired token.")
        tokens.touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made under /accounts/tokens/.",
        }
