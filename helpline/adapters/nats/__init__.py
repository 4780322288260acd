"""adapters/nats."""
