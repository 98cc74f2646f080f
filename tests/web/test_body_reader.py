"""How both adapters read a request body: up to the route's limit, never past it."""

from __future__ import annotations

from esruntime.web import METHODS, BodyReader


def read(limit: int, content_length: str | None, chunks: list[bytes]) -> tuple[bytes, bool]:
    reader = BodyReader(limit, content_length)
    for chunk in chunks:
        if not reader.take(chunk):
            break
    return reader.body()


def test_a_body_within_the_limit_is_read_whole() -> None:
    assert read(10, "6", [b"abc", b"def"]) == (b"abcdef", False)
    assert read(6, None, [b"abc", b"def", b""]) == (b"abcdef", False)


def test_a_body_past_the_limit_is_dropped_at_the_first_byte_too_many() -> None:
    reader = BodyReader(6, None)
    assert reader.take(b"abcd")
    assert reader.room == 3
    assert not reader.take(b"efg")
    assert not reader.wanted
    assert not reader.take(b"h")
    assert reader.body() == (b"", True)


def test_a_declared_length_over_the_limit_reads_nothing() -> None:
    reader = BodyReader(5, "1000000000000")
    assert not reader.wanted
    assert reader.body() == (b"", True)
    assert read(5, " 6 ", []) == (b"", True)


def test_a_route_without_a_body_ignores_whatever_is_sent() -> None:
    assert read(0, "500", [b"x" * 500]) == (b"", False)
    # a declared length that is not a number decides nothing: the bytes received do
    assert read(3, "lots", [b"ab"]) == (b"ab", False)
    assert read(3, "-1", [b"abcd"]) == (b"", True)


def test_the_catch_all_routes_answer_every_method_of_http() -> None:
    assert set(METHODS) == {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
