"""officectl: a government office's paper flows as YAML records kept in git."""

__version__ = "0.1.0"
