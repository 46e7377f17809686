"""Web pages of the login journey: the method chooser, consent, and each login method."""
