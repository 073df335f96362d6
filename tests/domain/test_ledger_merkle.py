"""The ledger's RFC 6962 Merkle code, checked against sources that are not itself.

Proofs the ledger serves are verified by auditors and witnesses running other code, so agreeing
with ourselves proves nothing. Here they are held to: the published RFC 6962 test vectors of
transparency-dev/merkle (hashes, roots, proofs, and the probes its verifier must refuse);
sigstore-python's inclusion verifier, a separate implementation; and RFC 6962 §2.1's recursive
definitions (MTH, PATH, PROOF) transcribed directly over the leaf list below.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Iterator, Sequence
from functools import cache
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sigstore._internal.merkle import verify_merkle_inclusion
from sigstore.errors import VerificationError
from sigstore.models import TransparencyLogEntry
from sigstore_models.common import v1 as common_v1
from sigstore_models.rekor import v1 as rekor_v1

from domain.ledger.merkle import (
    EMPTY_ROOT,
    LeafNodes,
    ProofFailed,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    needed_nodes,
    node_hash,
    perfect_ranges,
    range_hash,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def h(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest)


# --- Published vectors: transparency-dev/merkle testonly/constants.go and testdata/ -------------

LEAF_INPUTS = [
    h(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# NodeHashes(): the perfect subtrees of the 8-leaf tree, by level then index.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# RootHashes(), by tree size.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# testdata/inclusion/{0..4}/happy-path.json: (leaf index, tree size, proof).
PUBLISHED_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# testdata/consistency/{0..4}/happy-path.json: (old size, new size, proof).
PUBLISHED_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

DONT_CARE_1 = b"don't care 1"
DONT_CARE_2 = b"don't care 2"
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

# testdata/consistency/additional/*.json: (old, new, old root, new root, proof, accepted).
# One probe is left out on purpose: transparency-dev refuses every proof from size 0 ("useless"),
# while here the empty tree is a prefix of every tree, as a witness that has seen nothing needs.
PUBLISHED_CONSISTENCY_EDGES = [
    ("from size 0 with a non-empty proof", 0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ("sizes 0 with different roots", 0, 0, EMPTY_ROOT, DONT_CARE_2, [], False),
    ("sizes 1 with different roots", 1, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
    ("old size above new, again", 2, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    ("old size above new", 1, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    (
        "from size 0 with a root that is not the empty tree's",
        0,
        1,
        DONT_CARE_1,
        DONT_CARE_2,
        [],
        False,
    ),
    ("sizes 1, equal roots, empty proof", 1, 1, DONT_CARE_2, DONT_CARE_2, [], True),
    ("sizes 1, different roots", 1, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (
        "sizes 0 with equal roots that are not the empty tree's",
        0,
        0,
        DONT_CARE_1,
        DONT_CARE_1,
        [],
        False,
    ),
    ("sizes 0, different roots", 0, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    ("different sizes, empty proof", 1, 2, DONT_CARE_1, DONT_CARE_2, [], False),
    ("sizes 1 with a non-empty proof", 1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ("sizes 0 with a non-empty proof", 0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
]

# testdata/inclusion/additional and single-entry: (index, size, leaf, root, accepted).
SINGLE_ENTRY = h("0d3aed023148ffd2a259fbd0cdc7fb3cf975658760d3775b82af6f90aacc2dfc")
PUBLISHED_INCLUSION_EDGES = [
    ("size 0, random leaf", 0, 0, SOME_HASH, EMPTY_ROOT, False),
    ("size 0, empty leaf", 0, 0, b"", EMPTY_ROOT, False),
    ("size 0, empty root", 0, 0, SOME_HASH, b"", False),
    ("index 1 of size 0", 1, 0, SOME_HASH, EMPTY_ROOT, False),
    ("index 2 of size 1", 2, 1, SOME_HASH, EMPTY_ROOT, False),
    ("size 1, random leaf, empty root", 0, 1, SOME_HASH, EMPTY_ROOT, False),
    ("single entry, empty leaf", 0, 1, b"", SINGLE_ENTRY, False),
    ("single entry, empty root", 0, 1, SINGLE_ENTRY, b"", False),
    ("single entry, matching root and leaf", 0, 1, SINGLE_ENTRY, SINGLE_ENTRY, True),
]

# proof/proof_test.go TestInclusion / TestConsistency: the stored nodes (level, index) each
# proof is built from, in the tree of the RFC's figure.
PUBLISHED_INCLUSION_NODES = {
    (0, 1): set(),
    (0, 2): {(0, 1)},
    (1, 2): {(0, 0)},
    (1, 3): {(0, 0), (0, 2)},
    (0, 7): {(0, 1), (1, 1), (0, 6), (1, 2)},
    (1, 7): {(0, 0), (1, 1), (0, 6), (1, 2)},
    (2, 7): {(0, 3), (1, 0), (0, 6), (1, 2)},
    (3, 7): {(0, 2), (1, 0), (0, 6), (1, 2)},
    (4, 7): {(0, 5), (0, 6), (2, 0)},
    (5, 7): {(0, 4), (0, 6), (2, 0)},
    (6, 7): {(1, 2), (2, 0)},
    (2, 4): {(0, 3), (1, 0)},
    (3, 5): {(0, 2), (1, 0), (0, 4)},
    (3, 6): {(0, 2), (1, 0), (1, 2)},
    (4, 6): {(0, 5), (2, 0)},
    (10, 15): {(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)},
    (24, 31): {(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)},
    (81, 95): {(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)},
}
PUBLISHED_CONSISTENCY_NODES = {
    (1, 2): {(0, 1)},
    (1, 4): {(0, 1), (1, 1)},
    (1, 6): {(0, 1), (1, 1), (1, 2)},
    (2, 3): {(0, 2)},
    (2, 8): {(1, 1), (2, 1)},
    (3, 7): {(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)},
    (4, 7): {(0, 6), (1, 2)},
    (5, 7): {(0, 4), (0, 5), (0, 6), (2, 0)},
    (6, 7): {(1, 2), (0, 6), (2, 0)},
    (7, 8): {(0, 6), (0, 7), (1, 2), (2, 0)},
    (1, 1): set(),
    (5, 5): set(),
    (8, 8): set(),
    (2, 4): {(1, 1)},
    (3, 5): {(0, 2), (0, 3), (1, 0), (0, 4)},
    (3, 6): {(0, 2), (0, 3), (1, 0), (1, 2)},
    (4, 6): {(1, 2)},
    (1, 7): {(0, 1), (1, 1), (0, 6), (1, 2)},
    (10, 15): {(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)},
    (24, 31): {(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)},
    (81, 95): {
        (0, 80),
        (0, 81),
        (1, 41),
        (2, 21),
        (0, 94),
        (1, 46),
        (2, 22),
        (4, 4),
        (6, 0),
    },
}

PUBLISHED_LEAVES = [leaf_hash(entry) for entry in LEAF_INPUTS]


def published_nodes(size: int = 8) -> LeafNodes:
    return LeafNodes(PUBLISHED_LEAVES[:size])


# --- RFC 6962 §2.1, transcribed: a reference that shares no code with domain.ledger.merkle ------


def _k(n: int) -> int:
    """The largest power of two smaller than n, found by counting (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Rfc6962:
    """MTH, PATH and PROOF exactly as RFC 6962 §2.1.1 and §2.1.2 define them over D[n]."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.entries = entries
        self._mth: dict[tuple[int, int], bytes] = {}

    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]), remembered: every proof re-asks for the same subtrees."""
        if (start, end) not in self._mth:
            n = end - start
            if n == 0:
                value = sha256(b"").digest()
            elif n == 1:
                value = sha256(bytes([0]) + self.entries[start]).digest()
            else:
                k = _k(n)
                left, right = self.mth(start, start + k), self.mth(start + k, end)
                value = sha256(bytes([1]) + left + right).digest()
            self._mth[(start, end)] = value
        return self._mth[(start, end)]

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        """PATH(m, D[start:end])."""
        n = end - start
        if n == 1:
            return []
        k = _k(n)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        """SUBPROOF(m, D[start:end], b)."""
        n = end - start
        if m == n:
            return [] if whole else [self.mth(start, end)]
        k = _k(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, whole), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[n]) for 0 < m < n."""
        return self.subproof(m, 0, n, True)


ENTRIES = [b"ledger entry %d" % i for i in range(300)]
REFERENCE = Rfc6962(ENTRIES)


class CachedNodes:
    """Perfect subtrees of leaf_hash(entries), computed on first use and then remembered."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.entries = entries

        @cache
        def node(level: int, index: int) -> bytes:
            if level == 0:
                return leaf_hash(self.entries[index])
            return node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))

        self.node = node


NODES = CachedNodes(ENTRIES)


class SparseNodes:
    """A tree of up to 2**20 leaves that costs almost nothing: only the leaves in ``distinct``
    carry their own entry, every other leaf is the same filler, so a subtree without a distinct
    leaf is one of 21 precomputed hashes and the rest is a few dozen hashes per distinct leaf."""

    FILLER = b"filler"

    def __init__(self, distinct: set[int]) -> None:
        self.distinct = sorted(distinct)
        self.filler = [leaf_hash(self.FILLER)]
        for _ in range(21):
            self.filler.append(node_hash(self.filler[-1], self.filler[-1]))
        self._cache: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def entry(index: int) -> bytes:
        return b"sparse entry %d" % index

    def node(self, level: int, index: int) -> bytes:
        start, end = index << level, (index + 1) << level
        at = bisect.bisect_left(self.distinct, start)
        if at == len(self.distinct) or self.distinct[at] >= end:
            return self.filler[level]
        if level == 0:
            return leaf_hash(self.entry(index))
        if (level, index) not in self._cache:
            left = self.node(level - 1, 2 * index)
            self._cache[(level, index)] = node_hash(left, self.node(level - 1, 2 * index + 1))
        return self._cache[(level, index)]


class RecordingNodes:
    """Answers from another :class:`Nodes` and remembers every node it was asked for."""

    def __init__(self, inner: LeafNodes | CachedNodes) -> None:
        self.inner = inner
        self.asked: set[tuple[int, int]] = set()

    def node(self, level: int, index: int) -> bytes:
        self.asked.add((level, index))
        return self.inner.node(level, index)


def flipped(value: bytes, at: int) -> bytes:
    return value[:at] + bytes([value[at] ^ 0x01]) + value[at + 1 :]


def rejects_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    try:
        verify_consistency(old, new, old_root, new_root, proof)
    except ProofFailed:
        return True
    return False


def rejects_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    try:
        verify_inclusion(index, size, leaf, proof, root)
    except ProofFailed:
        return True
    return False


def sigstore_verifies(index: int, size: int, entry: bytes, proof: list[bytes], root: bytes) -> None:
    """Hand the proof to sigstore-python's Rekor inclusion check, as a log entry whose body is
    ``entry``. The models are built unvalidated: they carry base64 on the wire, raw bytes here."""
    inner_proof = rekor_v1.InclusionProof.model_construct(
        log_index=index,
        root_hash=root,
        tree_size=size,
        hashes=proof,
        checkpoint=rekor_v1.Checkpoint(envelope="unused"),
    )
    inner = rekor_v1.TransparencyLogEntry.model_construct(
        log_index=index,
        log_id=common_v1.LogId(key_id=base64.b64encode(b"casework")),
        kind_version=rekor_v1.KindVersion(kind="ledger", version="1"),
        inclusion_proof=inner_proof,
        canonicalized_body=entry,
    )
    verify_merkle_inclusion(TransparencyLogEntry(inner))


def all_pairs(up_to: int) -> Iterator[tuple[int, int]]:
    for new in range(1, up_to + 1):
        for old in range(1, new):
            yield old, new


# --- 1. Published vectors ----------------------------------------------------------------------


def test_the_published_leaf_and_subtree_hashes_are_what_the_nodes_of_the_8_leaf_tree_hash_to():
    nodes = published_nodes()
    for level, row in enumerate(NODE_HASHES):
        for index, expected in enumerate(row):
            assert nodes.node(level, index) == expected, (level, index)


@pytest.mark.parametrize("size", range(9))
def test_the_published_root_of_each_prefix_of_the_8_leaf_tree_is_computed(size):
    assert root_of(PUBLISHED_LEAVES[:size]) == ROOTS[size]
    assert tree_root(published_nodes(), size) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), PUBLISHED_INCLUSION)
def test_a_published_inclusion_proof_is_the_one_generated(index, size, proof):
    assert inclusion_proof(published_nodes(), index, size) == proof


@pytest.mark.parametrize(("index", "size", "proof"), PUBLISHED_INCLUSION)
def test_a_published_inclusion_proof_verifies(index, size, proof):
    verify_inclusion(index, size, PUBLISHED_LEAVES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), PUBLISHED_CONSISTENCY)
def test_a_published_consistency_proof_is_the_one_generated(old, new, proof):
    assert consistency_proof(published_nodes(), old, new) == proof


@pytest.mark.parametrize(("old", "new", "proof"), PUBLISHED_CONSISTENCY)
def test_a_published_consistency_proof_verifies(old, new, proof):
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def _flip_first_byte(proof: list[bytes], at: int, mask: int) -> list[bytes]:
    changed = list(proof)
    changed[at] = bytes([changed[at][0] ^ mask]) + changed[at][1:]
    return changed


@pytest.mark.parametrize(("index", "size", "proof"), PUBLISHED_INCLUSION)
def test_a_published_inclusion_proof_is_refused_under_every_published_corruption(
    index, size, proof
):
    """The corruptions transparency-dev's cmd/proofgen derives its refused probes with."""
    leaf, root = PUBLISHED_LEAVES[index], ROOTS[size]
    probes = {
        "leafIdx sub 1": (index - 1, size, leaf, proof, root),
        "leafIdx plus 1": (index + 1, size, leaf, proof, root),
        "leafIdx XOR 2": (index ^ 2, size, leaf, proof, root),
        "treeSize mul 2": (index, size * 2, leaf, proof, root),
        "treeSize div 2": (index, size // 2, leaf, proof, root),
        "wrong leaf": (index, size, b"WrongLeaf", proof, root),
        "empty root": (index, size, leaf, proof, EMPTY_ROOT),
        "random root": (index, size, leaf, proof, SOME_HASH),
        "trailing garbage": (index, size, leaf, [*proof, b""], root),
        "trailing root": (index, size, leaf, [*proof, root], root),
        "preceding garbage": (index, size, leaf, [b"", *proof], root),
        "preceding root": (index, size, leaf, [root, *proof], root),
    }
    for at in range(len(proof)):
        probes[f"modified proof[{at}] bit 3"] = (
            index,
            size,
            leaf,
            _flip_first_byte(proof, at, 8),
            root,
        )
    if proof:
        probes["removed component"] = (index, size, leaf, proof[:-1], root)
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes["inserted component"] = (index, size, leaf, inserted, root)
    accepted = [name for name, probe in probes.items() if not rejects_inclusion(*probe)]
    assert accepted == []


@pytest.mark.parametrize(
    ("old", "new", "proof"), [vector for vector in PUBLISHED_CONSISTENCY if vector[2]]
)
def test_a_published_consistency_proof_is_refused_under_every_published_corruption(old, new, proof):
    """As cmd/proofgen corrupts them (it leaves out the empty proof between equal sizes)."""
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = {
        "size1 sub 1": (old - 1, new, r1, r2, proof),
        "size1 plus 1": (old + 1, new, r1, r2, proof),
        "size1 XOR 2": (old ^ 2, new, r1, r2, proof),
        "size2 mul 2": (old, new * 2, r1, r2, proof),
        "size2 div 2": (old, new // 2, r1, r2, proof),
        "wrong root1": (old, new, b"WrongRoot", r2, proof),
        "wrong root2": (old, new, r1, b"WrongRoot", proof),
        "swapped roots": (old, new, r2, r1, proof),
        "empty proof": (old, new, r1, r2, []),
        "trailing garbage": (old, new, r1, r2, [*proof, b""]),
        "trailing root1": (old, new, r1, r2, [*proof, r1]),
        "trailing root2": (old, new, r1, r2, [*proof, r2]),
        "preceding garbage": (old, new, r1, r2, [b"", *proof]),
        "preceding root1": (old, new, r1, r2, [r1, *proof]),
        "preceding root2": (old, new, r1, r2, [r2, *proof]),
        "preceding proof 0": (old, new, r1, r2, [proof[0], *proof]),
        "truncated proof": (old, new, r1, r2, proof[:-1]),
    }
    for at in range(len(proof)):
        probes[f"modified proof@{at} bit 4"] = (old, new, r1, r2, _flip_first_byte(proof, at, 16))
    accepted = [name for name, probe in probes.items() if not rejects_consistency(*probe)]
    assert accepted == []


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "accepted"),
    [case[1:] for case in PUBLISHED_CONSISTENCY_EDGES],
    ids=[case[0] for case in PUBLISHED_CONSISTENCY_EDGES],
)
def test_the_published_consistency_edge_cases_are_answered_as_published(
    old, new, old_root, new_root, proof, accepted
):
    assert rejects_consistency(old, new, old_root, new_root, proof) is not accepted


@pytest.mark.parametrize(
    ("index", "size", "leaf", "root", "accepted"),
    [case[1:] for case in PUBLISHED_INCLUSION_EDGES],
    ids=[case[0] for case in PUBLISHED_INCLUSION_EDGES],
)
def test_the_published_inclusion_edge_cases_are_answered_as_published(
    index, size, leaf, root, accepted
):
    assert rejects_inclusion(index, size, leaf, [], root) is not accepted


def test_any_tree_extends_the_empty_tree_by_an_empty_proof():
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])


# --- 2. sigstore-python's inclusion verifier ---------------------------------------------------


def test_sigstore_accepts_our_inclusion_proof_of_every_leaf_of_every_tree_up_to_300_leaves():
    for size in range(1, 301):
        root = tree_root(NODES, size)
        for index in range(size):
            proof = inclusion_proof(NODES, index, size)
            sigstore_verifies(index, size, ENTRIES[index], proof, root)


def test_sigstore_refuses_our_inclusion_proof_for_another_leaf():
    proof = inclusion_proof(NODES, 5, 13)
    with pytest.raises(VerificationError):
        sigstore_verifies(5, 13, ENTRIES[6], proof, tree_root(NODES, 13))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=2**20))
def test_sigstore_accepts_our_inclusion_proofs_in_trees_of_up_to_a_million_leaves(data, size):
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    others = data.draw(st.sets(st.integers(min_value=0, max_value=size - 1), max_size=6))
    nodes = SparseNodes({index, size - 1, *others})
    proof, root = inclusion_proof(nodes, index, size), tree_root(nodes, size)
    sigstore_verifies(index, size, SparseNodes.entry(index), proof, root)
    verify_inclusion(index, size, leaf_hash(SparseNodes.entry(index)), proof, root)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), new=st.integers(min_value=2, max_value=2**20))
def test_our_consistency_proofs_verify_in_trees_of_up_to_a_million_leaves(data, new):
    old = data.draw(st.integers(min_value=1, max_value=new - 1))
    others = data.draw(st.sets(st.integers(min_value=0, max_value=new - 1), max_size=6))
    nodes = SparseNodes({old - 1, old, new - 1, *others})
    proof = consistency_proof(nodes, old, new)
    verify_consistency(old, new, tree_root(nodes, old), tree_root(nodes, new), proof)
    assert rejects_consistency(old, new, tree_root(nodes, old), tree_root(nodes, new - 1), proof)


# --- The RFC's recursive definitions -----------------------------------------------------------


def test_the_root_of_every_tree_up_to_300_leaves_is_the_rfc_mth():
    for size in range(301):
        assert tree_root(NODES, size) == REFERENCE.mth(0, size), size


def test_the_inclusion_proof_of_every_leaf_of_every_tree_up_to_130_leaves_is_the_rfc_path():
    for size in range(1, 131):
        for index in range(size):
            assert inclusion_proof(NODES, index, size) == REFERENCE.path(index, 0, size)


# --- 3. Consistency, all pairs -----------------------------------------------------------------


def test_the_consistency_proof_of_every_pair_of_sizes_up_to_130_is_the_rfc_proof_and_verifies():
    for old, new in all_pairs(130):
        proof = consistency_proof(NODES, old, new)
        assert proof == REFERENCE.proof(old, new), (old, new)
        verify_consistency(old, new, REFERENCE.mth(0, old), REFERENCE.mth(0, new), proof)


def test_a_consistency_proof_with_any_byte_flipped_in_any_hash_is_refused():
    for old, new in all_pairs(64):
        proof = consistency_proof(NODES, old, new)
        r1, r2 = REFERENCE.mth(0, old), REFERENCE.mth(0, new)
        for at, value in enumerate(proof):
            mutated = list(proof)
            mutated[at] = flipped(value, (old + new + at) % 32)
            assert rejects_consistency(old, new, r1, r2, mutated), (old, new, at)


def test_a_consistency_proof_is_refused_against_a_wrong_old_root():
    for old, new in all_pairs(130):
        proof = consistency_proof(NODES, old, new)
        r1, r2 = REFERENCE.mth(0, old), REFERENCE.mth(0, new)
        assert rejects_consistency(old, new, flipped(r1, new % 32), r2, proof), (old, new)
        assert rejects_consistency(old, new, REFERENCE.mth(0, old - 1), r2, proof), (old, new)


def test_a_consistency_proof_is_refused_against_a_wrong_new_root():
    for old, new in all_pairs(130):
        proof = consistency_proof(NODES, old, new)
        r1, r2 = REFERENCE.mth(0, old), REFERENCE.mth(0, new)
        assert rejects_consistency(old, new, r1, flipped(r2, old % 32), proof), (old, new)
        assert rejects_consistency(old, new, r1, REFERENCE.mth(0, new + 1), proof), (old, new)


def test_a_consistency_proof_is_refused_for_sizes_other_than_its_own():
    for old, new in all_pairs(130):
        proof = consistency_proof(NODES, old, new)
        own = consistency_ranges(old, new)
        for o, n in ((old - 1, new), (old + 1, new), (old, new - 1), (old, new + 1)):
            if not 0 < o < n or consistency_ranges(o, n) == own:
                continue
            refused = rejects_consistency(o, n, REFERENCE.mth(0, o), REFERENCE.mth(0, n), proof)
            assert refused, ((old, new), (o, n))


def test_a_truncated_or_extended_consistency_proof_is_refused():
    for old, new in all_pairs(130):
        proof = consistency_proof(NODES, old, new)
        r1, r2 = REFERENCE.mth(0, old), REFERENCE.mth(0, new)
        for changed in (
            proof[:-1],
            proof[1:],
            [*proof, proof[-1]],
            [*proof, r2],
            [r1, *proof],
            [proof[0], *proof],
        ):
            assert rejects_consistency(old, new, r1, r2, changed), (old, new, len(changed))


def test_equal_sizes_need_equal_roots_and_an_empty_proof():
    root = REFERENCE.mth(0, 9)
    verify_consistency(9, 9, root, root, [])
    assert rejects_consistency(9, 9, root, REFERENCE.mth(0, 8), [])
    assert rejects_consistency(9, 9, root, root, [root])


# --- 4. Inclusion refusals ---------------------------------------------------------------------


def test_an_inclusion_proof_is_refused_for_a_wrong_leaf():
    for size in range(1, 65):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            proof = inclusion_proof(NODES, index, size)
            other = leaf_hash(ENTRIES[(index + 1) % size] + b"!")
            assert rejects_inclusion(index, size, other, proof, root), (index, size)
            if size > 1:
                neighbour = leaf_hash(ENTRIES[(index + 1) % size])
                assert rejects_inclusion(index, size, neighbour, proof, root), (index, size)


def test_an_inclusion_proof_is_refused_at_a_wrong_index():
    for size in range(2, 65):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            leaf = leaf_hash(ENTRIES[index])
            proof = inclusion_proof(NODES, index, size)
            for other in range(size):
                if other != index:
                    assert rejects_inclusion(other, size, leaf, proof, root), (index, other, size)


def test_an_inclusion_proof_is_refused_at_an_index_at_or_beyond_the_size():
    for size in range(1, 65):
        root = REFERENCE.mth(0, size)
        proof = inclusion_proof(NODES, size - 1, size)
        leaf = leaf_hash(ENTRIES[size - 1])
        for index in (size, size + 1, 2 * size, -1):
            assert rejects_inclusion(index, size, leaf, proof, root), (index, size)


def test_a_truncated_or_extended_inclusion_proof_is_refused():
    for size in range(1, 65):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            leaf = leaf_hash(ENTRIES[index])
            proof = inclusion_proof(NODES, index, size)
            changed = [[*proof, root], [root, *proof], [*proof, leaf]]
            if proof:
                changed += [proof[:-1], proof[1:], [*proof, proof[-1]]]
            for candidate in changed:
                assert rejects_inclusion(index, size, leaf, candidate, root), (index, size)


def test_an_inclusion_proof_with_any_byte_flipped_in_any_hash_is_refused():
    for size in range(1, 65):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            leaf = leaf_hash(ENTRIES[index])
            proof = inclusion_proof(NODES, index, size)
            for at, value in enumerate(proof):
                mutated = list(proof)
                mutated[at] = flipped(value, (index + at) % 32)
                assert rejects_inclusion(index, size, leaf, mutated, root), (index, size, at)


# --- 5. The nodes a proof needs ----------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), sorted(PUBLISHED_INCLUSION_NODES))
def test_an_inclusion_proof_needs_the_stored_nodes_transparency_dev_reads_for_it(index, size):
    assert needed_nodes(inclusion_ranges(index, size)) == PUBLISHED_INCLUSION_NODES[index, size]


@pytest.mark.parametrize(("old", "new"), sorted(PUBLISHED_CONSISTENCY_NODES))
def test_a_consistency_proof_needs_the_stored_nodes_transparency_dev_reads_for_it(old, new):
    assert needed_nodes(consistency_ranges(old, new)) == PUBLISHED_CONSISTENCY_NODES[old, new]


def test_an_inclusion_proof_asks_storage_for_exactly_the_nodes_needed_nodes_names():
    for size in range(1, 65):
        for index in range(size):
            recording = RecordingNodes(NODES)
            inclusion_proof(recording, index, size)
            assert recording.asked == needed_nodes(inclusion_ranges(index, size)), (index, size)


def test_a_consistency_proof_asks_storage_for_exactly_the_nodes_needed_nodes_names():
    for new in range(1, 65):
        for old in range(new + 1):
            recording = RecordingNodes(NODES)
            consistency_proof(recording, old, new)
            assert recording.asked == needed_nodes(consistency_ranges(old, new)), (old, new)


def test_a_root_asks_storage_for_exactly_the_nodes_of_its_perfect_ranges():
    for size in range(65):
        recording = RecordingNodes(NODES)
        tree_root(recording, size)
        assert recording.asked == needed_nodes([(0, size)]), size


def test_every_range_a_proof_asks_for_is_tiled_left_to_right_by_its_perfect_subtrees():
    asked = {r for size in range(1, 130) for i in range(size) for r in inclusion_ranges(i, size)}
    asked |= {r for old, new in all_pairs(129) for r in consistency_ranges(old, new)}
    for start, end in asked:
        cursor = start
        for level, index in perfect_ranges(start, end):
            assert index << level == cursor, (start, end)
            cursor += 1 << level
        assert cursor == end, (start, end)
        assert range_hash(NODES, start, end) == REFERENCE.mth(start, end), (start, end)


def test_a_range_no_proof_would_ask_for_is_refused_as_unaligned():
    with pytest.raises(ValueError, match="not aligned"):
        perfect_ranges(1, 4)
