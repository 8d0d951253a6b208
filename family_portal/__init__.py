"""Parent accounts, families, enrolments, certificates and the agents' back-office."""
