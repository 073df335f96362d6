"""RFC 6962 Merkle trees (unchanged by RFC 9162 §2.1): hashing, proofs and their verification.

A tree of ``size`` leaves is read through its *perfect* subtrees: the node at ``(level, index)``
is the root of leaves ``[index * 2**level, (index + 1) * 2**level)``, and exists once all of
them do. Storage answers for those nodes (:class:`Nodes`); every other hash (the root, the right
edge of a proof) is folded from them here. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2
and needs nothing but the proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


class ProofFailed(ValueError):
    """A proof does not prove what it claims (wrong hashes, sizes or shape)."""


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of the given leaf hashes (computed bottom-up)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class Nodes(Protocol):
    def node(self, level: int, index: int) -> bytes:
        """The root of the perfect subtree over leaves [index << level, (index + 1) << level)."""
        ...


def perfect_ranges(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees, as (level, index), whose fold is MTH(D[start:end]), left to right.

    ``start`` must be aligned as RFC 6962's recursion leaves it: a multiple of the largest
    power of two not exceeding ``end - start``'s split (every range a proof asks for is)."""
    ranges = []
    while start < end:
        n = end - start
        size = n if n & (n - 1) == 0 else _split(n)
        level = size.bit_length() - 1
        if start % size:
            raise ValueError(f"range [{start}, {end}) is not aligned")
        ranges.append((level, start >> level))
        start += size
    return ranges


def range_hash(nodes: Nodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from the perfect subtrees that make it up (folded from the right)."""
    if start >= end:
        return EMPTY_ROOT
    hashes = [nodes.node(level, index) for level, index in perfect_ranges(start, end)]
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def tree_root(nodes: Nodes, size: int) -> bytes:
    return range_hash(nodes, 0, size)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges [start, end) whose hashes make up PATH(index, D[size]), leaf upwards."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make up PROOF(old, D[new]) (RFC 6962 §2.1.2), in proof order."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old == 0 or old == new:
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, new, True
    m = old
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = _split(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def needed_nodes(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every perfect subtree (level, index) the given ranges are folded from: what storage must
    be asked for, all at once, before :func:`range_hash`."""
    return {node for start, end in ranges for node in perfect_ranges(start, end)}


def inclusion_proof(nodes: Nodes, index: int, size: int) -> list[bytes]:
    return [range_hash(nodes, s, e) for s, e in inclusion_ranges(index, size)]


def consistency_proof(nodes: Nodes, old: int, new: int) -> list[bytes]:
    return [range_hash(nodes, s, e) for s, e in consistency_ranges(old, new)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` yields for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofFailed(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofFailed("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailed("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofFailed(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (old, old_root) is a prefix of (new, new_root) (RFC 9162 §2.1.4.2)."""
    if not 0 <= old <= new:
        raise ProofFailed(f"size {old} cannot precede size {new}")
    if old == 0 and old_root != EMPTY_ROOT:
        # No proof hash covers the empty tree, so its root is checked here or never.
        raise ProofFailed("the tree of size 0 has no root but the empty one")
    if old == new:
        if proof:
            raise ProofFailed("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofFailed(f"two different roots for the same size {old}")
        return
    if old == 0:
        if proof:
            raise ProofFailed("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofFailed(f"a proof from size {old} to {new} cannot be empty")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailed("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailed("the consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofFailed(f"the tree of size {old} is not a prefix of the tree of size {new}")


class LeafNodes:
    """:class:`Nodes` over leaf hashes held in memory (tests, the verifier's rebuild)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves

    def node(self, level: int, index: int) -> bytes:
        start = index << level
        end = start + (1 << level)
        if end > len(self.leaves):
            raise ValueError(f"node ({level}, {index}) is not complete")
        return root_of(self.leaves[start:end])
