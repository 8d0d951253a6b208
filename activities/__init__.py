"""Activity pages, barèmes and the pure pricing engine."""
