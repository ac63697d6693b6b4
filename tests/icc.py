"""Colour profiles for tests: an ICC v2 matrix/TRC display profile built from primaries.

Pillow can make an sRGB profile but no wide-gamut one; phones tag their photos Display P3.
This writes the same kind of profile a camera or phone embeds (colorants adapted to D50,
the sRGB tone curve as a table), so LittleCMS converts it as it would the real file.
"""

from __future__ import annotations

import struct

import numpy as np

D50 = np.array([0.9642, 1.0, 0.8249])
D65_XY = (0.3127, 0.3290)
DISPLAY_P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))  # red, green, blue (x, y)
SRGB_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
BRADFORD = np.array(
    [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
)


def xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz(primaries) -> np.ndarray:
    """Linear RGB -> XYZ (D65) of an RGB space with D65 white."""
    columns = np.column_stack([xyz(*p) for p in primaries])
    scale = np.linalg.solve(columns, xyz(*D65_XY))
    return columns * scale


def srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def convert(rgb8, source=DISPLAY_P3, target=SRGB_PRIMARIES) -> np.ndarray:
    """8-bit colours in ``source`` as 8-bit colours in ``target`` (both D65, sRGB curve)."""
    linear = srgb_decode(np.asarray(rgb8, np.float64) / 255)
    matrix = np.linalg.solve(rgb_to_xyz(target), rgb_to_xyz(source))
    return np.round(srgb_encode(linear @ matrix.T) * 255)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(values) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in values)


def _text_tag(text: str) -> bytes:
    return b"text" + bytes(4) + text.encode("ascii") + b"\0"


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
        + bytes(4) + bytes(4)  # no Unicode description
        + bytes(2) + bytes(1) + bytes(67)  # no ScriptCode description
    )  # fmt: skip


def _curve_tag() -> bytes:
    table = np.round(srgb_decode(np.linspace(0, 1, 1024)) * 65535).astype(">u2")
    return b"curv" + bytes(4) + struct.pack(">I", table.size) + table.tobytes()


def display_profile(name: str = "Display P3", primaries=DISPLAY_P3) -> bytes:
    """ICC bytes of an RGB display with these primaries, D65 white and the sRGB curve."""
    to_xyz = rgb_to_xyz(primaries)
    cone = BRADFORD @ D50 / (BRADFORD @ xyz(*D65_XY))
    adapt = np.linalg.inv(BRADFORD) @ np.diag(cone) @ BRADFORD  # D65 -> D50
    colorants = adapt @ to_xyz
    curve = _curve_tag()
    tags = [
        (b"desc", _desc_tag(name)),
        (b"cprt", _text_tag("No copyright, test profile")),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag(colorants[:, 0])),
        (b"gXYZ", _xyz_tag(colorants[:, 1])),
        (b"bXYZ", _xyz_tag(colorants[:, 2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntr" + b"RGB " + b"XYZ "
        + bytes(12) + b"acsp" + bytes(4) + bytes(4) + bytes(4) + bytes(4) + bytes(8)
        + struct.pack(">I", 0) + b"".join(_s15(v) for v in D50) + bytes(4) + bytes(16)
        + bytes(28)
    )  # fmt: skip
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
