"""The SMS platform: gateways (outbox, HTTP), the idempotent sender worker, and the /sms
module's record (compose, folders, templates, groups, statistics, logs)."""
