"""Webhook endpoints (docs/rules.md §14): who registers them, what they are told, how."""
