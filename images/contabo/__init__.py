"""Client for the Images endpoints of the Contabo public API (Django-agnostic core).

Django code should use :func:`images.contabo.django.get_client`.
"""

from .auth import InMemoryTokenStore, Token, TokenStore
from .client import ContaboClient
from .config import ContaboConfig
from .errors import (
    AuthenticationError,
    ClientError,
    ContaboError,
    NotFound,
    ProtocolError,
    RateLimited,
    TokenRefused,
    TransientError,
    UnsupportedMediaType,
    signin_failing,
)
from .types import CreatedImage, Deleted, Image, ImagePage, Stats, Tag, UpdatedImage

__all__ = [
    "AuthenticationError",
    "ClientError",
    "ContaboClient",
    "ContaboConfig",
    "ContaboError",
    "CreatedImage",
    "Deleted",
    "Image",
    "ImagePage",
    "InMemoryTokenStore",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "Stats",
    "Tag",
    "Token",
    "TokenRefused",
    "TokenStore",
    "TransientError",
    "UnsupportedMediaType",
    "UpdatedImage",
    "signin_failing",
]
