"""Authentication and authorization: API keys, principals, permissions, resolvers."""

from esruntime.auth.keys import (
    ApiKey,
    ApiKeyStore,
    BaseApiKeyStore,
    InMemoryApiKeyStore,
    IssuedApiKey,
    key_digest,
)
from esruntime.auth.principal import PERMISSIONS, Principal, check_permissions
from esruntime.auth.resolver import ApiKeyResolver, PrincipalResolver, bearer_token

__all__ = [
    "PERMISSIONS",
    "ApiKey",
    "ApiKeyResolver",
    "ApiKeyStore",
    "BaseApiKeyStore",
    "InMemoryApiKeyStore",
    "IssuedApiKey",
    "Principal",
    "PrincipalResolver",
    "bearer_token",
    "check_permissions",
    "key_digest",
]
