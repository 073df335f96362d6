"""The tree's right edge in tiles: however leaves arrive, one by one or in batches, the edge,
the tiles it writes and its root are the same, and the root is RFC 6962's."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger.merkle import leaf_hash, root_of
from domain.ledger.tiles import Edge

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(70_000)]


@settings(max_examples=25, deadline=None)
@given(
    size=st.sampled_from([0, 1, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000]),
    cuts=st.lists(st.integers(min_value=0, max_value=70_000), max_size=6),
)
def test_leaves_extended_in_batches_make_the_edge_appending_them_one_by_one_makes(size, cuts):
    one_by_one = Edge()
    for leaf in LEAVES[:size]:
        one_by_one.append(leaf)
    batched = Edge()
    bounds = [0, *sorted(c for c in cuts if c <= size), size]
    for start, end in pairwise(bounds):
        batched.extend(LEAVES[start:end])
    assert (batched.size, batched.partial, batched.changed) == (
        one_by_one.size,
        one_by_one.partial,
        one_by_one.changed,
    )


def test_the_edge_root_is_the_rfc_6962_root_of_its_leaves():
    edge = Edge()
    edge.extend(LEAVES[:65_537])
    assert edge.root() == root_of(LEAVES[:65_537])


def test_the_edge_root_is_the_rfc_6962_root_at_every_size_as_leaves_arrive():
    edge = Edge()
    for size in range(1, 1_100):
        edge.append(LEAVES[size - 1])
        assert edge.root() == root_of(LEAVES[:size]), size


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=0, max_value=70_000), more=st.integers(0, 600))
def test_an_edge_loaded_from_its_tiles_goes_on_as_the_edge_that_wrote_them(size, more):
    written = Edge()
    written.extend(LEAVES[:size])
    loaded = Edge.load(size, written.changed)
    assert loaded.root() == written.root()
    loaded.extend(LEAVES[size : size + more])
    written.extend(LEAVES[size : size + more])
    assert (loaded.size, loaded.partial, loaded.root()) == (
        written.size,
        written.partial,
        written.root(),
    )
