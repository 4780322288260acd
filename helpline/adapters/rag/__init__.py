"""adapters/rag."""
