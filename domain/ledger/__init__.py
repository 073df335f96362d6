"""The tamper-evident ledger: an RFC 6962 Merkle log over every event of the store, signed
checkpoints (C2SP signed notes), witnesses' co-signatures and offline proofs. Everything here is
pure (hashing, formats, verification): the verifier a third party runs imports nothing else. The
two modules that hold data keys, to salt field digests (``digests``) and to have the writer
compute them (``handlers``), are imported by no verifier."""
