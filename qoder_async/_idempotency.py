"""Idempotency keys: random UUID4 strings, cheap to make and never shared across a fork."""

from __future__ import annotations

import os

__all__ = ["new_idempotency_key"]

# Keys are made 256 at a time from one os.urandom call: a system call and a UUID object per
# key would cost a noticeable share of a request. The version and variant bits of all 256
# are set with two C-level translations. The buffer is dropped in a forked child, so parent
# and child can never hand out the same key.
_BATCH = 256
_VERSION_4 = bytes((byte & 0x0F) | 0x40 for byte in range(256))
_RFC_4122_VARIANT = bytes((byte & 0x3F) | 0x80 for byte in range(256))
_key_buffer: list[str] = []
os.register_at_fork(after_in_child=_key_buffer.clear)


def _refill() -> None:
    raw = bytearray(os.urandom(16 * _BATCH))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_RFC_4122_VARIANT)
    h = raw.hex()
    _key_buffer.extend(
        [
            f"{h[o : o + 8]}-{h[o + 8 : o + 12]}-{h[o + 12 : o + 16]}-"
            f"{h[o + 16 : o + 20]}-{h[o + 20 : o + 32]}"
            for o in range(0, len(h), 32)
        ]
    )


def new_idempotency_key() -> str:
    """A random UUID4 string."""
    if not _key_buffer:
        _refill()
    return _key_buffer.pop()
