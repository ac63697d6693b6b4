from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from ui.components.before_after import before_after_html


def jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


def test_html_is_self_contained_with_both_images_and_a_divide():
    before = jpeg(np.zeros((300, 400, 3), np.uint8))
    after = jpeg(np.full((300, 400, 3), 255, np.uint8))
    page = before_after_html(before, after, (400, 300), ("Original", "<b>BiRefNet</b>"))
    images = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(images) == 2
    means = sorted(np.asarray(Image.open(io.BytesIO(base64.b64decode(i)))).mean() for i in images)
    assert means[0] < 5 and means[1] > 250
    assert 'type="range"' in page and "clipPath" in page
    assert "http" not in page  # works offline
    assert "&lt;b&gt;BiRefNet&lt;/b&gt;" in page and "<b>BiRefNet" not in page


def test_the_frame_keeps_the_photo_s_shape_within_a_height():
    page = before_after_html(b"", b"", (512, 600), max_height=520)
    assert "aspect-ratio: 512 / 600" in page
    assert f"max-width: {round(520 * 512 / 600)}px" in page  # never taller than 520 px


def test_the_divide_is_remembered_per_key_and_the_key_cannot_break_out():
    page = before_after_html(b"", b"", (10, 10), memory_key='x"</script><script>alert(1)')
    assert "sessionStorage" in page
    assert "</script><script>alert" not in page
