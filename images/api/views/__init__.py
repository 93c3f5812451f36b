"""API views by resource: images (list, detail and its changes), uploads (create, preflight),
the account's quota and refresh, and the caller's own accounts and settings."""
