"""A tiny PNG writer (zlib only, no matplotlib / Pillow) and an image-grid helper for the examples.

    >>> grid = image_grid(images, low=-1.0, high=1.0, nrow=8, scale=4)   # (N, H, W) floats
    >>> write_png("samples.png", grid)                                   # 8-bit grayscale PNG

PNG layout (RFC 2083): the 8-byte signature, then chunks ``length | type | data | CRC-32(type +
data)``: IHDR (size, bit depth 8, colour type 0 = gray / 2 = RGB), one IDAT holding the
zlib-compressed scanlines (each prefixed with filter byte 0 = "None"), and an empty IEND.
"""
from __future__ import annotations

import os
import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {2: 0, 3: 2}   # array ndim -> PNG colour type (grayscale, RGB)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def encode_png(pixels) -> bytes:
    """The PNG bytes of a uint8 image: ``(H, W)`` grayscale or ``(H, W, 3)`` RGB."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise TypeError(f"encode_png: pixels must be uint8, got {pixels.dtype}")
    if pixels.ndim not in _COLOR_TYPE or (pixels.ndim == 3 and pixels.shape[2] != 3) \
            or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"encode_png: pixels must be a non-empty (H, W) or (H, W, 3) array, "
                         f"got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[pixels.ndim], 0, 0, 0)
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    # every scanline starts with its filter type; 0 ("None") keeps the writer trivial
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def write_png(path: str, pixels) -> None:
    """Write ``pixels`` (see ``encode_png``) to ``path`` atomically (temporary file + rename)."""
    data = encode_png(pixels)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def grid_shape(n: int, height: int, width: int, *, nrow: int = 8, pad: int = 1,
               scale: int = 1) -> tuple[int, int]:
    """The (rows, cols) in pixels of the grid ``image_grid`` makes from n images of height x width."""
    ncol = -(-n // nrow)
    return (ncol * (height * scale + pad) + pad, nrow * (width * scale + pad) + pad)


def image_grid(images, *, low: float = 0.0, high: float = 1.0, nrow: int = 8, pad: int = 1,
               scale: int = 1, pad_value: int = 128) -> np.ndarray:
    """Tile ``(N, H, W)`` (or ``(N, 1, H, W)``) float images with values in [low, high] into one
    uint8 grayscale image, ``nrow`` images per row, ``pad`` pixels of ``pad_value`` between them
    and around, each image enlarged ``scale`` times (nearest neighbour: 8x8 digits are tiny)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"image_grid: expected (N, H, W) or (N, 1, H, W) images, got shape "
                         f"{images.shape}")
    if not high > low or nrow < 1 or pad < 0 or scale < 1:
        raise ValueError(f"image_grid: need high > low, nrow >= 1, pad >= 0, scale >= 1; got "
                         f"low={low}, high={high}, nrow={nrow}, pad={pad}, scale={scale}")
    n, h, w = images.shape
    pixels = np.rint(np.clip((images - low) / (high - low), 0.0, 1.0) * 255).astype(np.uint8)
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    out = np.full(grid_shape(n, h, w, nrow=nrow, pad=pad, scale=scale), pad_value, np.uint8)
    hs, ws = h * scale, w * scale
    for i in range(n):
        r, c = divmod(i, nrow)
        top, left = pad + r * (hs + pad), pad + c * (ws + pad)
        out[top:top + hs, left:left + ws] = pixels[i]
    return out
