"""The JSON API under /api/v1/: the pages' selectors and services behind DRF views, with
personal tokens, problem+json errors, ETags and idempotent creates."""
