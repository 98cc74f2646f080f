"""The API's OpenAPI description: body schemas, and each route's operation fragment."""

from esruntime.web.openapi.bodies import SCHEMAS
from esruntime.web.openapi.dead_letters import DEAD_LETTER_SCHEMAS
from esruntime.web.openapi.operations import OPERATIONS, operation
from esruntime.web.openapi.scripts import SCRIPT_SCHEMAS

SCHEMAS.update(SCRIPT_SCHEMAS)
SCHEMAS.update(DEAD_LETTER_SCHEMAS)

__all__ = ["OPERATIONS", "SCHEMAS", "operation"]
