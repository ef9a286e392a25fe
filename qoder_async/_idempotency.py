"""Idempotency keys: random UUID4 strings, cheap to make and never shared across a fork."""

from __future__ import annotations

import os

__all__ = ["new_idempotency_key"]

# Idempotency keys come from os.urandom, 256 at a time: one syscall per key would cost a
# noticeable share of a request. The buffer is dropped in a forked child, so parent and
# child can never hand out the same key.
_key_buffer: list[str] = []
os.register_at_fork(after_in_child=_key_buffer.clear)


def new_idempotency_key() -> str:
    """A random UUID4 string."""
    if not _key_buffer:
        raw = os.urandom(16 * 256)
        for offset in range(0, len(raw), 16):
            b = bytearray(raw[offset : offset + 16])
            b[6] = (b[6] & 0x0F) | 0x40  # version 4
            b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
            h = b.hex()
            _key_buffer.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return _key_buffer.pop()
