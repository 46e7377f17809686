"""Demonstration relying parties: small web apps that use Bawaba only over standard
OpenID Connect and OAuth 2.0 (HTTP), never by importing the provider. `rp/` is the kit
they share; `launcher.py` registers and starts them all."""
