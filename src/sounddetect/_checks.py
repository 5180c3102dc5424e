"""Type tests the library's argument checks share (each check words its own message).

is_integer -- an int, numpy's too, not a bool
is_number  -- a real number, numpy's too, not a bool
"""

from __future__ import annotations

import numbers


def is_integer(value: object) -> bool:
    """An integer (``np.int64`` too); ``True`` is no count, though Python takes it for 1."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A real number (``np.float32`` too); ``True`` is no number, though Python takes it
    for 1. NaN and infinity are numbers here: each check says which values it takes."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
