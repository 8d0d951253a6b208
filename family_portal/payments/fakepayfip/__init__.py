"""A fake PayFiP of ours (real HTTP on 127.0.0.1) for the demo, the tests and benchmarks.

It speaks the SOAP operations eopayment's ``payfip_ws`` client sends, serves the WSDL
that client ships (its address rewritten to ours), shows a payment page where the demo
parent "pays", then notifies ``urlnotif``. Faults are set over HTTP (``/__fake__/control``).
"""
