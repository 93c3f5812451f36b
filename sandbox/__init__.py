"""Contabo sandbox: a local HTTP server faithful to Contabo's Images API (see README.md)."""
