"""Response headers for every page: no framing, no referrer, HSTS under HTTPS."""

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


def init_app(app):
    secure = app.config["IDP_SECURE"]

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response
