"""Self-contained browser components (HTML and script inline, no network)."""
