"""Request and response bodies of ``sdk.http``: encoded from script values, read within bounds.

Responses are read from the raw stream and decompressed here, with the size limit applied to the
decompressed bytes, so neither a large body nor a compression bomb is ever held in memory.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from esruntime.errors import SdkError

__all__ = ["decode_body", "encode_body", "read_bounded"]


def encode_body(body: Any, max_bytes: int) -> tuple[bytes | None, str | None]:
    """The bytes to send and their default content type: text as is, bytes raw, else JSON."""
    if body is None:
        return None, None
    if isinstance(body, bytes | bytearray):
        content, kind = bytes(body), "application/octet-stream"
    elif isinstance(body, str):
        content, kind = body.encode("utf-8", "surrogatepass"), "text/plain; charset=utf-8"
    else:
        try:
            text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise SdkError(f"Invalid HTTP request: the body is not JSON ({exc})") from None
        content, kind = text.encode("utf-8", "surrogatepass"), "application/json"
    if len(content) > max_bytes:
        raise SdkError(f"Invalid HTTP request: the body is larger than {max_bytes} bytes")
    return content, kind


def read_bounded(chunks: Iterable[bytes], content_encoding: str, max_bytes: int) -> bytes:
    """The decoded body, or SdkError as soon as it exceeds ``max_bytes`` once decompressed."""
    encoding = content_encoding.strip().lower()
    decoder: Any
    if encoding in ("", "identity"):
        decoder = None
    elif encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = _Deflate()
    else:
        raise SdkError(f"HTTP request failed: unsupported content encoding {encoding!r}")
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending = chunk
        while pending:
            if decoder is None:
                out, pending = pending, b""
            else:
                # One byte more than the room left: getting it means the limit is exceeded.
                try:
                    out = decoder.decompress(pending, max_bytes - size + 1)
                except zlib.error as exc:
                    raise SdkError(f"HTTP request failed: bad {encoding} body ({exc})") from None
                pending = decoder.unconsumed_tail
            size += len(out)
            if size > max_bytes:
                raise SdkError(f"Response too large: more than {max_bytes} bytes")
            parts.append(out)
    return b"".join(parts)


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped per the RFC, or raw by mistake."""

    def __init__(self) -> None:
        self._inner: Any = None
        self.unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._inner = zlib.decompressobj()
            try:
                out: bytes = self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._inner.decompress(data, max_length)
        else:
            out = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        return out


def decode_body(content: bytes, content_type: str, charset: str | None) -> Any:
    """JSON media types parsed (text if the JSON is bad), everything else as text."""
    try:
        text = content.decode(charset or "utf-8", "replace")
    except LookupError:
        text = content.decode("utf-8", "replace")
    media = content_type.split(";", 1)[0].strip().lower()
    if text and (media == "application/json" or media.endswith("+json")):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return text
