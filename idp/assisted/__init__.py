"""Service-centre representation (docs/service-centres.md): an operator at a registered
centre does an e-service for a walk-in citizen. The citizen consents from their own
phone (a code sent by SMS naming the centre and the service, given to the operator);
the centre's client then exchanges the citizen's consent token and the operator's access
token for a token whose `sub` is the citizen and whose `act` names the operator and the
centre (RFC 8693, idp/oauth/token_exchange.py)."""
