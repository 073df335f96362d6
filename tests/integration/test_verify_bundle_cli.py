"""`casework verify-bundle` as a real process, in an empty directory with nothing but the bundle
and no setting at all: it needs no database, no service and no configuration."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from domain.lado.bag import SIGNATURE_FILE
from tests.domain.lado_bags import OTHER_KEY, TRUST_PUBLIC, bag_bytes, repack, unpack

CASEWORK = Path(sys.executable).parent / "casework"
TRUST_KEY_B64 = base64.b64encode(TRUST_PUBLIC).decode()


def verify_bundle(tmp: Path, zipped: bytes, key: str = TRUST_KEY_B64):
    alone = tmp / "alone"
    alone.mkdir(exist_ok=True)
    (alone / "bundle.zip").write_bytes(zipped)
    bare = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return subprocess.run(
        [str(CASEWORK), "verify-bundle", "bundle.zip", "--trust-key", key],
        env=bare,
        cwd=alone,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_signed_bag_that_is_not_a_bundle_is_rejected_naming_what_it_lacks(tmp_path):
    # An intact bundle, with its proofs and PDF, is checked in tests/ledger/test_lado_bundle.py.
    done = verify_bundle(tmp_path, bag_bytes())
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "bundle rejected: 6 problems",
        "  missing: data/proofs/trust-certificate.pem: a bundle must have it",
        "  added: data/proofs/event-1.tlog-proof: not a file a bundle's proofs hold",
        "  missing: data/proofs/export.tlog-proof: a bundle must have it",
        "  missing: data/proofs/checkpoint.txt: a bundle must have it",
        "  missing: data/evidence/index.json: a bundle must have it",
        "  malformed: data/chronology.json: not a chronology",
    ]


def test_a_tampered_bundle_exits_non_zero_naming_each_problem(tmp_path):
    files = unpack(bag_bytes())
    files["data/chronology.json"] = b"[9]\n"
    files["data/planted.txt"] = b"x"
    files[SIGNATURE_FILE] = unpack(bag_bytes(key=OTHER_KEY))[SIGNATURE_FILE]
    done = verify_bundle(tmp_path, repack(files))
    assert done.returncode == 1
    # The bag's findings come first; what the bundle lacks follows (as above).
    assert done.stdout.splitlines()[1:5] == [
        "  altered: data: holds 6 files of 15311 bytes; Payload-Oxum says 5 of 15309",
        "  altered: data/chronology.json: its digest differs from manifest-sha256.txt and "
        "manifest-sha512.txt",
        "  added: data/planted.txt: in the bag but not listed in manifest-sha256.txt or "
        "manifest-sha512.txt",
        f"  bad signature: {SIGNATURE_FILE}: not the trust key's signature of "
        "tagmanifest-sha256.txt",
    ]


def test_a_key_that_is_not_a_trust_key_exits_2(tmp_path):
    done = verify_bundle(tmp_path, bag_bytes(), key="not-a-key")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "casework: --trust-key: the trust key is not base64",
    )
