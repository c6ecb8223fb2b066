"""The scanner behind every test finds a leaked secret (else its silence would prove nothing)."""

from __future__ import annotations

import logging

from tests.secret_scan import SecretScan


class Answer:
    def __init__(self, body: str) -> None:
        self.headers = {"Content-Type": "application/json"}
        self.body = body

    def get_data(self, as_text: bool = False) -> str:
        return self.body


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("gateway", logging.INFO, __file__, 1, message, args, None)


def test_a_secret_in_a_log_record_or_an_answer_is_found() -> None:
    scan = SecretScan(["s3cret-value"])
    scan.record(Answer('{"ok": "s3cret-value"}'))

    leaks = scan.leaks([record("using %s", "s3cret-value"), record("nothing here")])

    assert leaks == ["answer #0", "log record gateway:INFO"]


def test_a_one_time_password_may_be_answered_once_but_never_logged() -> None:
    scan = SecretScan()
    scan.shown_once("generated-pw")
    scan.record(Answer('{"password": "generated-pw"}'))

    once = scan.leaks([])
    scan.record(Answer("generated-pw again"))

    assert once == []
    assert scan.leaks([]) == ["answer carrying a one-time password (2 times)"]
    assert scan.leaks([record("generated-pw")])[-1] == "log record gateway:INFO"
