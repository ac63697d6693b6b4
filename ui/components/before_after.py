"""A before/after comparison slider as self-contained HTML (no network, no CDN).

The page sizes itself to the image at any width (shown in an iframe that measures its
content), never taller than ``max_height`` CSS pixels, and remembers where the divide was,
per ``memory_key``, in the browser's session storage, so a rerun that redraws it keeps it.
"""

from __future__ import annotations

import base64
import html
import json

_TEMPLATE = """<!doctype html>
<style>
  html, body {{ margin: 0; padding: 0; background: transparent; }}
  .ba {{ position: relative; width: 100%; max-width: {max_width}px; user-select: none;
        font: 13px sans-serif; aspect-ratio: {width} / {height}; }}
  .ba img {{ display: block; width: 100%; height: 100%; }}
  .ba .before {{ position: absolute; inset: 0; overflow: hidden; }}
  .ba .divide {{ position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px;
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
  const memory = "before-after:" + {memory_key};
  function show(value) {{
    root.querySelector(".before").style.clipPath = `inset(0 ${{100 - value}}% 0 0)`;
    root.querySelector(".divide").style.left = `${{value}}%`;
  }}
  try {{ slider.value = sessionStorage.getItem(memory) ?? slider.value; }} catch (e) {{}}
  show(slider.value);
  slider.addEventListener("input", () => {{
    show(slider.value);
    try {{ sessionStorage.setItem(memory, slider.value); }} catch (e) {{}}
  }});
</script>
"""


def before_after_html(
    before_jpeg: bytes,
    after_jpeg: bytes,
    size: tuple[int, int],
    labels: tuple[str, str] = ("Original", "Blurred"),
    max_height: int = 520,
    memory_key: str = "",
) -> str:
    """HTML showing ``before`` left of a draggable divide and ``after`` right.

    Both are JPEG bytes of one ``size`` (w, h). The comparison is as wide as its frame, at
    most ``max_height`` CSS pixels tall, keeping the aspect ratio.
    """
    w, h = size
    assert w > 0 and h > 0, "an image has a size"
    return _TEMPLATE.format(
        width=w,
        height=h,
        max_width=max(1, round(max_height * w / h)),
        before=base64.b64encode(before_jpeg).decode("ascii"),
        after=base64.b64encode(after_jpeg).decode("ascii"),
        before_label=html.escape(labels[0]),
        after_label=html.escape(labels[1]),
        memory_key=json.dumps(memory_key).replace("<", "\\u003c"),
    )
