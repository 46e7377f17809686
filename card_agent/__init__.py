"""Bawaba card agent: the program a citizen runs next to the browser to log in with a
national ID card. It watches the card readers over PC/SC, reads the authentication
certificate through the card's PKCS#11 module, asks the PIN on its own loopback page and
signs the provider's challenge as a Web eID authentication token (format web-eid:1.0).
It does not import the provider (idp) and talks to the browser only over 127.0.0.1."""

__version__ = "0.1.0"
