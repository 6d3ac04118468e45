"""The one error type for a configuration mistake (a leaf: imports nothing of the package)."""


class ConfigError(ValueError):
    """A config.yaml mistake; the message names the key (``experiments.undo.max_round: unknown key ...``)."""
