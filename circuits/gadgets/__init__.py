"""The gadget library. Naming: `assert_*` adds constraints and returns nothing, `is_*` returns
a bit, `_strict` rejects field aliasing, `_unchecked` names a precondition the caller owns,
and per-slot checks take an `enabled` bit."""
