"""The log filter that keeps secrets out of every line."""

from __future__ import annotations

import logging

from tap_gong_flows.redaction import MASK, SecretRedactor


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("x", logging.DEBUG, __file__, 1, msg, args, exc_info)


def test_secrets_in_message_args_and_tracebacks_are_masked() -> None:
    redactor = SecretRedactor(["s3cr3t-value", "Basic YWJjOnMzY3IzdA=="])
    record = _record("auth %s and %s", "Basic YWJjOnMzY3IzdA==", "s3cr3t-value")
    assert redactor.filter(record)
    assert record.getMessage() == f"auth {MASK} and {MASK}"
    try:
        raise ValueError("boom s3cr3t-value")
    except ValueError as exc:
        record = _record("failed", exc=exc)
    redactor.filter(record)
    assert "s3cr3t-value" not in (record.exc_text or "")
    assert MASK in (record.exc_text or "")


def test_longer_secret_masked_first_so_no_fragment_leaks() -> None:
    redactor = SecretRedactor(["abcd", "abcdefgh"])
    record = _record("abcdefgh")
    redactor.filter(record)
    assert record.getMessage() == MASK


def test_tiny_values_are_not_treated_as_secrets() -> None:
    redactor = SecretRedactor(["a"])
    record = _record("a cat")
    redactor.filter(record)
    assert record.getMessage() == "a cat"
