"""Redactors of clinical notes (``register_redactors``): the built-in one lives here."""
