"""Errors the generator reports to the user as one line and exit code 2."""


class ConfigError(Exception):
    """Bad input: the message names the key (and the line where known).

    The CLI prints ``accounts.yaml:LINE: KEY: MESSAGE`` and exits 2 without
    writing anything.
    """

    def __init__(self, key: str, message: str, line: int | None = None):
        self.key = key
        self.message = message
        self.line = line
        super().__init__(self.format())

    def __reduce__(self):
        # Raised in a render worker process and re-raised in the parent.
        return (ConfigError, (self.key, self.message, self.line))

    def format(self, source: str | None = None) -> str:
        where = source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        head = f"{where}: " if where else ""
        key = f"{self.key}: " if self.key else ""
        return f"{head}{key}{self.message}"


class PolicyTooLarge(Exception):
    """A rendered policy exceeds its AWS size limit (checked at render time)."""
