"""Command handlers: their manifest, and handlers written in Python."""

from esruntime.handlers.manifest import EmitSpec, HandlerManifest, ReadSpec, parse_manifest
from esruntime.handlers.python import CommandHandler, Decision, Emit, PythonHandler, Rejection

__all__ = [
    "CommandHandler",
    "Decision",
    "Emit",
    "EmitSpec",
    "HandlerManifest",
    "PythonHandler",
    "ReadSpec",
    "Rejection",
    "parse_manifest",
]
