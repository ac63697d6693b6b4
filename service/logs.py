"""Where the app's and the CLI's logs go: stderr (the terminal that started them), and a
file too when PORTRAIT_BLUR_LOG_FILE names one. Model failures log their traceback here;
the UI shows one clear line."""

from __future__ import annotations

import logging
import os
import sys

LOGGER = "portrait_blur"
LEVEL_ENV = "PORTRAIT_BLUR_LOG_LEVEL"
FILE_ENV = "PORTRAIT_BLUR_LOG_FILE"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes, not when the handler was made
    (a test runner swaps and closes its captured streams; background threads log later)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging() -> logging.Logger:
    """Set up the project's loggers once per process; Streamlit's own are left alone."""
    logger = logging.getLogger(LOGGER)
    if logger.handlers:
        return logger
    handlers: list[logging.Handler] = [StderrHandler()]
    if os.environ.get(FILE_ENV):
        handlers.append(logging.FileHandler(os.environ[FILE_ENV]))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(os.environ.get(LEVEL_ENV, "INFO").upper())
    logger.propagate = False
    return logger
