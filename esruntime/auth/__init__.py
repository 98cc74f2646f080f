"""Authentication and authorization: API keys, principals, permissions, resolvers.

The keys are kept by a backend (:class:`~esruntime.protocols.ApiKeyStorage`); the rules for
issuing and checking them are :class:`ApiKeyService`'s.
"""

from esruntime.auth.keys import ApiKey, ApiKeyService, IssuedApiKey, key_digest
from esruntime.auth.principal import PERMISSIONS, Principal, check_permissions
from esruntime.auth.resolver import ApiKeyResolver, PrincipalResolver, bearer_token
from esruntime.protocols.auth import ApiKeyStorage, ApiKeyStore

__all__ = [
    "PERMISSIONS",
    "ApiKey",
    "ApiKeyResolver",
    "ApiKeyService",
    "ApiKeyStorage",
    "ApiKeyStore",
    "IssuedApiKey",
    "Principal",
    "PrincipalResolver",
    "bearer_token",
    "check_permissions",
    "key_digest",
]
