"""adapters/whatsapp."""
