"""Stand-ins: tiny models with each family's real interface, for testing the loading
plumbing without network. They never measure or represent a model's quality."""
