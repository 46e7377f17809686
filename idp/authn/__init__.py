"""Login methods plug in here: each is an authenticator that ends in an
`AuthenticationResult`; the authorize endpoint offers only those able to satisfy the
requested assurance."""
