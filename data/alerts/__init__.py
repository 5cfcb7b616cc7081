"""Four-level alerts: lifecycle, recipients, deliveries and the duty officer's queries."""
