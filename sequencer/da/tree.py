"""A sparse copy of the state tree made of `layout.NodeEntry` values: what a DA member keeps
and an owner rebuilds, from payloads alone. Nodes never written hold their level's
empty-subtree entry."""
from __future__ import annotations

from . import layout
from .layout import NodeEntry, Shape


class SparseTree:
    def __init__(self, shape: Shape):
        self.shape = shape
        self.empty = layout.empty_entries(shape)
        self.nodes: dict[tuple[int, int], NodeEntry] = {}

    def copy(self) -> "SparseTree":
        t = SparseTree.__new__(SparseTree)
        t.shape, t.empty, t.nodes = self.shape, self.empty, dict(self.nodes)
        return t

    def get(self, level: int, index: int) -> NodeEntry:
        return self.nodes.get((level, index), self.empty[level])

    def set(self, level: int, index: int, entry: NodeEntry) -> None:
        self.nodes[(level, index)] = entry

    @property
    def root(self) -> int:
        return self.get(self.shape.depth, 0).hash

    def children(self, level: int, index: int) -> list[NodeEntry]:
        """The entries of node (level, index)'s children (level - 1)."""
        a = self.shape.arity
        return [self.get(level - 1, index * a + i) for i in range(a)]

    def siblings(self, index: int) -> list[tuple[int, list[NodeEntry]]]:
        """(position, sibling entries) per level, leaf level first: leaf `index`'s path."""
        a, out = self.shape.arity, []
        for level in range(self.shape.depth):
            pos, base = index % a, index - index % a
            out.append((pos, [self.get(level, base + i) for i in range(a) if i != pos]))
            index //= a
        return out


__all__ = ["SparseTree"]
