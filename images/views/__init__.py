"""Thin views, one module per page: read through selectors, write through services, validate
with forms.

No view talks to the Contabo API: a write stores the user's intent and a task carries it out, so
every page is as fast as a database read.
"""
