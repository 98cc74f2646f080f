"""Command handlers: their manifest (what they read, bind and emit)."""

from esruntime.handlers.manifest import EmitSpec, HandlerManifest, ReadSpec, parse_manifest

__all__ = ["EmitSpec", "HandlerManifest", "ReadSpec", "parse_manifest"]
