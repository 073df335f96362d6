"""Retention and erasure: how long each record is kept, what holds it, and forgetting it by
destroying its data keys (docs/rules.md §9)."""
