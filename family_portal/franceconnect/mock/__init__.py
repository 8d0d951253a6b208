"""A local FranceConnect: a small OpenID Connect provider on 127.0.0.1 for the demo and
the tests (standard library, PyJWT and cryptography; no Django). See ``server.py``."""
