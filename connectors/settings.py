"""Reading connector settings from a mapping (Flask config, ``os.environ``, a dict).

Values may be typed or text (environment variables); bad or missing values raise
:class:`~connectors.errors.ConfigurationError` naming the key, never the value.
"""

from collections.abc import Mapping

from connectors.errors import ConfigurationError

REQUIRED = object()
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class SettingsReader:
    """Typed access to one connector's keys in a settings mapping."""

    def __init__(self, settings: Mapping[str, object], connector: str):
        self.settings = settings
        self.connector = connector

    def _raw(self, key: str, default):
        value = self.settings.get(key)
        if value is None or value == "":
            if default is REQUIRED:
                raise ConfigurationError(f"{key} is required", connector=self.connector)
            return default
        return value

    def text(self, key: str, default=REQUIRED) -> str | None:
        value = self._raw(key, default)
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{key} must be text", connector=self.connector)
        return value

    def number(self, key: str, default=REQUIRED, *, minimum: float = 0.0) -> float:
        value = self._raw(key, default)
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{key} must be a number", connector=self.connector) from None
        if result < minimum:
            raise ConfigurationError(f"{key} must be at least {minimum}", connector=self.connector)
        return result

    def integer(self, key: str, default=REQUIRED, *, minimum: int = 0) -> int:
        value = self._raw(key, default)
        if isinstance(value, bool):
            raise ConfigurationError(f"{key} must be an integer", connector=self.connector)
        try:
            result = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{key} must be an integer",
                                     connector=self.connector) from None
        if result < minimum:
            raise ConfigurationError(f"{key} must be at least {minimum}", connector=self.connector)
        return result

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._raw(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise ConfigurationError(f"{key} must be true or false", connector=self.connector)

    def choice(self, key: str, choices: tuple[str, ...], default=REQUIRED) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise ConfigurationError(f"{key} must be one of {', '.join(choices)}",
                                     connector=self.connector)
        return value
