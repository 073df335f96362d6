"""The seal of an audit that recomputed every field digest of a log and found them right.

Recomputing a field digest means decrypting its event, which costs many times what the rest of
an audit does. It needs doing once per entry: after that the entry, which commits to the hash
of its row's stored bytes, is held by the tree, so a later change to the row or to the entry
fails the structural checks every run makes. So a run that found the first ``size`` leaves
intact with every field recomputed seals ``(size, root)`` with an HMAC under a key the master key
wraps; the next run recomputes fields from ``size`` on, and fails unless its rebuilt tree at
``size`` has that root. Someone with database access alone can neither forge a seal for a
history of their own nor keep a sealed size once they have changed a leaf below it.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

SEAL_CONTEXT = b"safeguarding-casework audit seal v1\n"


def audit_seal(key: bytes, size: int, root: bytes) -> bytes:
    """HMAC-SHA-256 over what the seal attests: the fields of the first ``size`` leaves of the
    tree with ``root`` were each recomputed from their rows."""
    if size < 0 or len(root) != sha256().digest_size:
        raise ValueError("a seal is of a tree size (>= 0) and a 32-byte root")
    return hmac.new(key, SEAL_CONTEXT + b"%d\n" % size + root, sha256).digest()


def seal_holds(key: bytes, size: int, root: bytes, seal: bytes) -> bool:
    """Whether ``seal`` is the seal of ``(size, root)`` under ``key``; False for anything that
    is not a size and root at all (a forged row need not be well formed)."""
    try:
        expected = audit_seal(key, size, root)
    except ValueError:
        return False
    return hmac.compare_digest(expected, seal)
