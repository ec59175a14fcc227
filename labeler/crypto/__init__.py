"""Keys and signatures: workspace keys (keychain or passphrase), signing keys, signed files."""
