"""Text the page shows that came from elsewhere (file names, model labels), made safe."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$:])")


def as_text(name: str) -> str:
    """A file name escaped for Streamlit markdown, so it shows as typed and never renders."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", name)
