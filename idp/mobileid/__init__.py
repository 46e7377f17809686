"""Mobile ID (PKI SIM) authentication through the operators' MSSPs, shared by the login
page (idp/login/mobile_id.py) and CIBA (idp/oauth/ciba.py).

- ``operators.py``: the MSSP clients of this provider (``MSSP_*``), built once per app;
- ``signing.py``: starting a signature request and taking it one step further (one status
  query), recording how each request ended;
- ``verification.py``: what the provider checks in a signed answer (signature over the
  challenge sent, certificate by the PKI core's SIM validator, national ID);
- ``outcomes.py``: the reason codes and what the person reads for each.

See docs/mobile-id.md."""
