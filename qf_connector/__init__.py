"""API Particulier: the quotient familial client, its call log and the fake server."""
