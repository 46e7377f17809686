"""Citizens: registration with the civil registry and SMS login at level 1 (docs/citizens.md).
Passwords, claims from the registry record, and the registration and login steps, on top
of idp/otp and the connectors."""
