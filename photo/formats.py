"""The photo files the app takes, by extension: a module with no imports, so the uploader
can be drawn before the decoders (numpy, Pillow, HEIF) are loaded."""

from __future__ import annotations

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif", "gif", "bmp", "tif", "tiff"]
