"""CLIP's BPE tokenizer for Ultralytics' SAM3, without its run-time pip install.

SAM3's text encoder in Ultralytics does ``import clip`` (a GitHub-only fork) for
``clip.simple_tokenizer.SimpleTokenizer`` and, when that fails, pip-installs the fork at
run time, which cannot work in a uv environment or offline. open_clip (on PyPI) carries
the same BPE vocabulary and a tokenizer with the call SAM3 makes:
``tokenizer(texts, context_length=...) -> LongTensor``.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def install_clip_module() -> None:
    """Make ``import clip`` give SAM3 its tokenizer, unless a real ``clip`` is installed."""
    if "clip" in sys.modules or importlib.util.find_spec("clip") is not None:
        return
    from open_clip.tokenizer import SimpleTokenizer

    simple_tokenizer = ModuleType("clip.simple_tokenizer")
    simple_tokenizer.SimpleTokenizer = SimpleTokenizer
    clip = ModuleType("clip")
    clip.__doc__ = "Stand-in for the GitHub-only clip package: open_clip's CLIP tokenizer."
    clip.simple_tokenizer = simple_tokenizer
    sys.modules["clip"] = clip
    sys.modules["clip.simple_tokenizer"] = simple_tokenizer
