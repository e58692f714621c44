"""Keep secrets out of every log line, whatever logger or level produced it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"
_MIN_SECRET_LENGTH = 4  # masking "a" everywhere would garble logs and protect nothing


class SecretRedactor(logging.Filter):
    """Replaces known secret strings in a record's message and traceback with ``***``.

    The tap never puts secrets into messages on purpose; this filter is the net under
    that rule, for text that third-party code (requests, urllib3, the SDK) might log.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        unique = {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}
        self.secrets = sorted(unique, key=len, reverse=True)  # longest first: no partial leaks

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def install(redactor: SecretRedactor) -> None:
    """Attach to the root logger and each of its handlers (filters on a logger skip the
    records its children propagate; filters on handlers see them all)."""
    root = logging.getLogger()
    targets: list[logging.Filterer] = [root, *root.handlers]
    for target in targets:
        if not any(isinstance(f, SecretRedactor) for f in target.filters):
            target.addFilter(redactor)
        else:
            for existing in target.filters:
                if isinstance(existing, SecretRedactor):
                    existing.secrets = sorted(
                        set(existing.secrets) | set(redactor.secrets), key=len, reverse=True
                    )
