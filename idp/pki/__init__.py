"""PKI domain logic: certificate authority, validation, revocation and the PKCS#11 token.
Nothing here imports Flask."""
