"""The administrators' REST API for the certificate authority."""


def init_app(app):
    pass
