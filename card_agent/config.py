"""The agent's settings: built-in defaults, then a TOML file, then CARD_AGENT_*
environment variables, then command-line options.

The file is --config, else $XDG_CONFIG_HOME/bawaba-card-agent/config.toml (default
~/.config/…), else /etc/bawaba-card-agent/config.toml; a missing file is fine:

    trusted_origins = ["https://login.example.gov"]
    pkcs11_module = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
    readers = "pcsc"        # or "token": no PC/SC, a present token is the card
    token_label = ""        # only this token (e.g. one of several SoftHSM2 tokens)
    port = 24727
    rsa_algorithm = "RS256" # or "PS256", for RSA cards
    pin_timeout = 120       # seconds the PIN page waits
    open_browser = true     # open the PIN page in the default browser
"""

import os
import tomllib
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from pathlib import Path

from . import __version__
from .errors import BadRequestError
from .webeid import RSA_ALGORITHMS
from .webeid import check_origin

OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
DEFAULT_PORT = 24727
APP_URL = "https://bawaba.example"
MODES = ("pcsc", "token")


class ConfigError(Exception):
    """The settings cannot work; the message says which one."""


@dataclass(frozen=True)
class AgentConfig:
    trusted_origins: tuple = ()
    pkcs11_module: str = OPENSC_MODULE
    readers: str = "pcsc"
    token_label: str | None = None
    port: int = DEFAULT_PORT
    rsa_algorithm: str = "RS256"
    pin_timeout: int = 120
    open_browser: bool = True
    app_url: str = APP_URL

    @property
    def app_version(self):
        return f"{self.app_url.rstrip('/')}/bawaba-card-agent/{__version__}"


def default_paths(environ=os.environ):
    home = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path(home) / "bawaba-card-agent" / "config.toml",
            Path("/etc/bawaba-card-agent/config.toml")]


def load_config(path=None, overrides=None, environ=os.environ):
    """Settings from the file, the environment and overrides (None values ignored)."""
    values = {}
    paths = [Path(path)] if path else default_paths(environ)
    for candidate in paths:
        if candidate.is_file():
            try:
                values.update(tomllib.loads(candidate.read_text()))
            except (tomllib.TOMLDecodeError, OSError) as error:
                raise ConfigError(f"{candidate}: {error}") from None
            break
        if path:
            raise ConfigError(f"{candidate}: no such file")
    for item in fields(AgentConfig):
        raw = environ.get(f"CARD_AGENT_{item.name.upper()}")
        if raw is not None:
            values[item.name] = raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return check_config(values)


def check_config(values):
    known = {f.name for f in fields(AgentConfig)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    config = replace(AgentConfig(), **values)
    origins = config.trusted_origins
    if isinstance(origins, str):
        origins = origins.replace(",", " ").split()
    if not origins:
        raise ConfigError("no trusted origins: set trusted_origins (the provider's "
                          "https://host[:port]) in the config file or --trusted-origin")
    try:
        origins = tuple(check_origin(o) for o in origins)
    except BadRequestError as error:
        raise ConfigError(f"trusted origin: {error.detail}") from None
    port = _integer(config.port, "port", 0, 65535)
    pin_timeout = _integer(config.pin_timeout, "pin_timeout", 1, 600)
    if config.readers not in MODES:
        raise ConfigError(f"readers must be one of {', '.join(MODES)}")
    if config.rsa_algorithm not in RSA_ALGORITHMS:
        raise ConfigError(f"rsa_algorithm must be one of {', '.join(RSA_ALGORITHMS)}")
    if not config.pkcs11_module:
        raise ConfigError("pkcs11_module is required")
    open_browser = config.open_browser
    if isinstance(open_browser, str):
        open_browser = open_browser.strip().lower() in ("1", "true", "yes", "on")
    return replace(config, trusted_origins=origins, port=port, pin_timeout=pin_timeout,
                   token_label=config.token_label or None, open_browser=bool(open_browser))


def _integer(value, name, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}")
    return number
