"""The agent API's routes, one module per subject."""
