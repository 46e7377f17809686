"""Connectors to the outside systems Bawaba depends on.

One sub-package per outside system (``sms``, ``civil_registry``). Each offers an
interface, a real client, an in-process fake and a development simulator that is a
real network server. The implementation is chosen from a settings mapping (Flask
config or any dict), so nothing here imports Flask's application or ``idp``.

Every connector sets explicit timeouts, keeps the outside system's status codes as
Enums and raises :class:`connectors.errors.ConnectorError` subclasses, never
transport exceptions. See ``docs/connectors.md``.
"""
