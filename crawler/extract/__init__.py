"""Field extraction, one module per source; filled by the spider issue."""
