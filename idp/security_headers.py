"""Response headers for every page: no framing, no referrer, HSTS under HTTPS."""

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


def every_response(secure):
    """(name, value) of the headers every response carries."""
    headers = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff")]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


def init_app(app):
    always = every_response(app.config["IDP_SECURE"])

    @app.after_request
    def add_headers(response):
        headers = response.headers
        for name, value in always:
            headers.setdefault(name, value)
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response
