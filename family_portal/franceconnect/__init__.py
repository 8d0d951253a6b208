"""FranceConnect: parents sign in with the State's identity (allauth's OpenID Connect
provider, checked more strictly), their civil status certified, and the wizard asks
API Particulier for their QF with their FranceConnect access token.

``mock/`` is the local FranceConnect of the demo and the tests (no Django there)."""
