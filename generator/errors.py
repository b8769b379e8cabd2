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
        # args is (key, message, line) already: BaseException.__new__ keeps
        # the constructor's arguments (no super().__init__ per error).

    def __str__(self) -> str:
        # Formatted when shown, not when raised: a file with 200,000 errors
        # builds 200,000 of these (and a line found later is then included).
        return self.format()

    def __reduce__(self):
        # Raised in a render worker process and re-raised in the parent.
        return (ConfigError, (self.key, self.message, self.line))

    def format(self, source: str | None = None) -> str:
        where = source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        head = f"{where}: " if where else ""
        key = f"{self.key}: " if self.key else ""
        return one_line(f"{head}{key}{self.message}")


def one_line(text: str) -> str:
    """Escape control characters (a newline in a bad value or key) so the
    error stays one line and cannot forge a second one."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class PolicyTooLarge(Exception):
    """A rendered policy exceeds its AWS size limit (checked at render time)."""


class ConfigErrors(ConfigError):
    """Several config errors, reported together (one line each).

    A ConfigError itself, so every ``except ConfigError`` keeps working: its
    key, message and line are the first error's, and :meth:`format` gives
    one line per error, each after the first prefixed ``error: `` as the
    CLI prints the first.
    """

    def __init__(self, errors: list[ConfigError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.key, first.message, first.line)

    def __reduce__(self):
        return (ConfigErrors, (self.errors,))

    def format(self, source: str | None = None) -> str:
        return "\nerror: ".join(error.format(source) for error in self.errors)


def each_error(exc: ConfigError) -> list[ConfigError]:
    return list(exc.errors) if isinstance(exc, ConfigErrors) else [exc]


class ErrorCollector:
    """Run independent checks and keep every ConfigError they raise.

    A check is any callable that raises ConfigError on its first problem
    (the convention of generator/config/<section>.py); run each through
    :meth:`run` (or a block through :meth:`block`) so one check's error does
    not hide the next check's. Once an error is collected, a later check
    that fails some other way (a KeyError on the very name already reported
    missing) is taken as a consequence of that error and skipped.
    """

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def run(self, check, *args, **kwargs) -> None:
        with self.block():
            check(*args, **kwargs)

    def block(self):
        return _Block(self)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else ConfigErrors(self.errors)


class _Block:
    def __init__(self, collector: ErrorCollector):
        self.collector = collector

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        if isinstance(exc, ConfigError):
            self.collector.errors.extend(each_error(exc))
            return True
        # A consequence of an error already collected: that one explains it.
        return bool(self.collector.errors) and isinstance(exc, (KeyError, IndexError, AttributeError, TypeError, ValueError))
