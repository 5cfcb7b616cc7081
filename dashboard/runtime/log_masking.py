"""Personal data never reaches a log file: identity and mobile numbers are masked on the way.

Logs are copied, shipped and kept longer than the record they describe, so a
resident's number that slips into a message (an error echoing a request, a
debug line) is masked by the handler, whichever logger wrote it.
"""

from __future__ import annotations

import logging

from data.masking import mask_text

_TRACEBACKS = logging.Formatter()


class PersonalDataFilter(logging.Filter):
    """Rewrites a record's message with identity numbers and mobile numbers masked.

    Installed on handlers (not loggers), so it also sees records propagated from
    every child logger. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: mask what is there
            message = f"{record.msg} {record.args}"
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            # formatters reuse exc_text, so the traceback is masked here once
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def install_on_root_handlers() -> None:
    """Add the filter to every handler of the root logger (once each)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
