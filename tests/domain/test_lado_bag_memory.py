"""Files are streamed: a payload far larger than the memory the writer and the checker use is
written and checked with memory bounded by their chunk size, not by the payload."""

from __future__ import annotations

import os
import resource
import tracemalloc
from collections.abc import Iterator

from domain.lado.bag import BagWriter
from domain.lado.verify_bag import verify_bag
from tests.domain.lado_bags import INFO, NAME, TRUST_KEY, TRUST_PUBLIC

MIB = 1 << 20
PAYLOAD_MIB = 200
BOUND = 48 * MIB  # generous: the chunks in flight, zlib's buffers, the zip's directory


def evidence() -> Iterator[bytes]:
    """200 MiB that deflate cannot shrink (a random MiB, repeated beyond deflate's 32 KiB
    window), made as it is read."""
    block = os.urandom(MIB)
    for _ in range(PAYLOAD_MIB):
        yield block


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def test_a_200_mib_payload_is_written_and_checked_in_bounded_memory(tmp_path):
    bundle = tmp_path / "bundle.zip"
    rss_before = peak_rss_bytes()
    tracemalloc.start()
    try:
        with bundle.open("wb") as out, BagWriter(out, NAME, INFO, TRUST_KEY.sign) as writer:
            writer.add("evidence/recording.mp4", evidence())
            writer.add("referral.json", [b"{}"])
            writer.finish()
        _, writing_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        report = verify_bag(bundle, TRUST_PUBLIC)
        _, checking_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.intact, report.lines()
    assert report.payload_bytes == PAYLOAD_MIB * MIB + 2
    assert bundle.stat().st_size > PAYLOAD_MIB * MIB  # it really was not compressed away
    assert max(writing_peak, checking_peak) < BOUND, (writing_peak, checking_peak)
    assert peak_rss_bytes() - rss_before < 2 * BOUND
