"""Turning the article library into a versioned, searchable index (imports knowledge, never bot)."""
