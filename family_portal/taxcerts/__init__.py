"""The yearly tax certificate for childcare costs (attestation fiscale de frais de garde):
what a family PAID in a calendar year for the care outside the home of its children under
6 on 1 January, meals excluded, per child. Issued in January for every family concerned,
downloaded by parents, printed in batch by agents."""
