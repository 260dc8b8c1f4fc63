"""A set of record ids small enough to keep in a stream's state: sorted, delta-encoded as varints,
zlib-compressed and base64'd. BigCommerce's ids grow one by one, so a delta is mostly 1 byte and
compresses to almost nothing: a million ids with a few gaps take tens of kilobytes, not megabytes."""

from __future__ import annotations

import base64
import zlib
from array import array
from typing import Iterable

PREFIX = "z1:"  # format version, so a later encoding can be told apart


def encode(ids: Iterable[int]) -> str:
    out = bytearray()
    previous = 0
    for value in sorted(set(ids)):
        delta = value - previous
        previous = value
        while True:
            byte = delta & 0x7F
            delta >>= 7
            if delta:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return PREFIX + base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def decode(text: str) -> array:
    """The ids, ascending. Raises ValueError on anything this module did not write."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise ValueError("not an id set written by this connector")
    try:
        raw = zlib.decompress(base64.b64decode(text[len(PREFIX):], validate=True))
    except (ValueError, zlib.error) as error:
        raise ValueError(f"a damaged id set: {error}") from None
    ids, value, shift, current = array("q"), 0, 0, 0
    for byte in raw:
        current |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        value += current
        ids.append(value)
        current, shift = 0, 0
    if shift:
        raise ValueError("a damaged id set: it ends inside a number")
    return ids
