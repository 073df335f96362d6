"""The webhooks view: endpoints, the changes feed and the delivery outbox (docs/rules.md §14)."""
