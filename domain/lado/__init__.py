"""The referral bundle for the Local Authority Designated Officer: a signed BagIt bag (RFC 8493)."""
