"""Built-in extractors: text → mentions and relations."""
