"""Administration commands, one module per group; each reuses the domain's validation."""
