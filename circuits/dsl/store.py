"""Compact storage of a circuit's linear combinations: flat arrays, not per-term objects.

A circuit of millions of constraints cannot keep each one as three dicts of Python ints
(about 1 KB a constraint before its coefficients). Here an LC, once a constraint or a
materialized signal is made of it, is flushed into an `LCStore`: its signal ids go into one
int32 array, its coefficients into another as indices into a `CoefTable` (each distinct
coefficient is held once: 1, -1, the powers of two of the bit gadgets and the Poseidon
constants repeat across the whole circuit), and the end of each LC into an offsets array.
Reading LC j back gives the same dict, terms in the same order, so compilation (and the
R1CS bytes) are what they were with dicts. About 8 bytes a term.
"""
from __future__ import annotations

from array import array


class CoefTable:
    """Each distinct coefficient once: `index(v)` its id (added when new), `values[id]` it."""

    __slots__ = ("values", "_ids")

    def __init__(self):
        self.values: list[int] = []
        self._ids: dict[int, int] = {}

    def index(self, v: int) -> int:
        i = self._ids.get(v)
        if i is None:
            i = self._ids[v] = len(self.values)
            self.values.append(v)
        return i

    def intern(self, v: int) -> int:
        """The table's own int object equal to v (so equal coefficients share one object)."""
        return self.values[self.index(v)]

    def __getstate__(self):
        return self.values

    def __setstate__(self, values):
        self.values = values
        self._ids = {v: i for i, v in enumerate(values)}


class LCStore:
    """Linear combinations appended in order; LC j is terms ends[j]..ends[j+1]."""

    __slots__ = ("sig", "coef", "ends", "table")

    def __init__(self, table: CoefTable):
        self.sig = array("i")
        self.coef = array("i")
        self.ends = array("q", [0])
        self.table = table

    def __len__(self) -> int:
        return len(self.ends) - 1

    def add(self, terms: dict) -> int:
        """Append the LC {signal: coeff}; returns its index."""
        if terms:
            self.sig.extend(terms)
            ids = self.table._ids
            try:  # the hot path of a build: every coefficient already in the table
                self.coef.extend([ids[v] for v in terms.values()])
            except KeyError:
                index = self.table.index
                self.coef.extend([index(v) for v in terms.values()])
        self.ends.append(len(self.sig))
        return len(self.ends) - 2

    def add_pairs(self, sigs, coef_ids) -> int:
        """Append an LC given as signal ids and coefficient ids (already in the table)."""
        self.sig.extend(sigs)
        self.coef.extend(coef_ids)
        self.ends.append(len(self.sig))
        return len(self.ends) - 2

    def get(self, j: int) -> dict:
        s, e = self.ends[j], self.ends[j + 1]
        if s == e:
            return {}
        vals = self.table.values
        return dict(zip(self.sig[s:e], [vals[i] for i in self.coef[s:e]]))

    def signals(self, j: int) -> array:
        return self.sig[self.ends[j]:self.ends[j + 1]]

    @property
    def n_terms(self) -> int:
        return len(self.sig)

    def nbytes(self) -> int:
        return (len(self.sig) + len(self.coef)) * 4 + len(self.ends) * 8
