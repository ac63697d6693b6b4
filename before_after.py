"""A before/after comparison slider as self-contained HTML (no network, no CDN)."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

WIDTH = 720  # CSS pixels the comparison is shown at, at most

_TEMPLATE = """
<style>
  .ba {{ position: relative; width: 100%; max-width: {width}px; user-select: none;
        font: 13px sans-serif; }}
  .ba img {{ display: block; width: 100%; }}
  .ba .before {{ position: absolute; inset: 0; overflow: hidden; clip-path: inset(0 50% 0 0); }}
  .ba .divide {{ position: absolute; top: 0; bottom: 0; left: 50%; width: 2px;
                background: #fff; box-shadow: 0 0 4px #000; pointer-events: none; }}
  .ba input {{ position: absolute; inset: 0; width: 100%; height: 100%; margin: 0;
              opacity: 0; cursor: ew-resize; }}
  .ba .tag {{ position: absolute; top: 8px; padding: 2px 6px; color: #fff;
             background: rgba(0, 0, 0, .55); border-radius: 3px; pointer-events: none; }}
</style>
<div class="ba">
  <img class="after" alt="{after_label}" src="data:image/jpeg;base64,{after}">
  <div class="before"><img alt="{before_label}" src="data:image/jpeg;base64,{before}"></div>
  <div class="divide"></div>
  <span class="tag" style="left: 8px">{before_label}</span>
  <span class="tag" style="right: 8px">{after_label}</span>
  <input type="range" min="0" max="100" value="50" step="0.5" aria-label="Before/after divide">
</div>
<script>
  const root = document.querySelector(".ba");
  const slider = root.querySelector("input");
  slider.addEventListener("input", () => {{
    const v = slider.value;
    root.querySelector(".before").style.clipPath = `inset(0 ${{100 - v}}% 0 0)`;
    root.querySelector(".divide").style.left = `${{v}}%`;
  }});
</script>
"""


def _jpeg_base64(rgb: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def before_after_html(
    before: np.ndarray, after: np.ndarray, labels: tuple[str, str] = ("Original", "Blurred")
) -> tuple[str, int]:
    """HTML showing ``before`` left of a draggable divide and ``after`` right, and its height."""
    if before.shape != after.shape:
        raise ValueError(f"before {before.shape} and after {after.shape} differ in size")
    h, w = before.shape[:2]
    page = _TEMPLATE.format(
        width=WIDTH,
        before=_jpeg_base64(before),
        after=_jpeg_base64(after),
        before_label=html.escape(labels[0]),
        after_label=html.escape(labels[1]),
    )
    return page, round(min(WIDTH, w) * h / w) + 8
