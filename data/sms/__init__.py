"""The SMS platform: gateways (outbox, HTTP) and the idempotent sender worker."""
