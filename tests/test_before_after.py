from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from before_after import WIDTH, before_after_html


def test_html_is_self_contained_with_both_images_and_a_divide():
    before = np.zeros((300, 400, 3), np.uint8)
    after = np.full((300, 400, 3), 255, np.uint8)
    page, height = before_after_html(before, after, ("Original", "<b>BiRefNet</b>"))
    images = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(images) == 2
    means = sorted(np.asarray(Image.open(io.BytesIO(base64.b64decode(i)))).mean() for i in images)
    assert means[0] < 5 and means[1] > 250
    assert 'type="range"' in page and "clip-path" in page
    assert "http" not in page  # works offline
    assert "&lt;b&gt;BiRefNet&lt;/b&gt;" in page and "<b>BiRefNet" not in page
    assert height == round(400 * 300 / 400) + 8


def test_height_follows_the_shown_width():
    wide = np.zeros((500, 2000, 3), np.uint8)
    _, height = before_after_html(wide, wide)
    assert height == round(WIDTH * 500 / 2000) + 8
    with pytest.raises(ValueError, match="differ"):
        before_after_html(wide, wide[:, :10])
