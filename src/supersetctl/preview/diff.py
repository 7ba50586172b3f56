"""The pixel difference of two screenshots: a score and a picture of where they differ.

The score is the share of pixels that differ (0.0 the same picture, 1.0 nothing alike); two
pictures of different sizes are compared on the larger canvas, so the rows one of them lacks
count as different. A pixel differs when one of its channels moves by more than
``THRESHOLD`` (anti-aliasing noise stays below it). The diff picture is the "after" one
faded to a quarter, with every differing pixel in red.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.errors import UsageError

THRESHOLD = 16  # of 255, per channel
_RED = (220, 30, 30)


@dataclass(frozen=True)
class Difference:
    score: float  # share of differing pixels, 0..1
    pixels: int  # how many differ
    size: tuple[int, int]  # the canvas compared (width, height)


def _pil() -> Any:
    try:
        from PIL import Image, ImageChops
    except ImportError:
        raise UsageError(
            "preview needs Pillow, which is not installed",
            hint="`make install`, or pip install 'supersetctl[preview]'",
        ) from None
    return Image, ImageChops


def _on_canvas(image: Any, size: tuple[int, int]) -> Any:
    Image, _ = _pil()
    if image.size == size:
        return image
    canvas = Image.new("RGB", size, (255, 255, 255))
    canvas.paste(image, (0, 0))
    return canvas


def compare(before: Path, after: Path, diff_out: Path | None = None) -> Difference:
    """Compare two PNGs; with ``diff_out``, write the diff picture there."""
    Image, ImageChops = _pil()
    with Image.open(before) as b, Image.open(after) as a:
        first, second = b.convert("RGB"), a.convert("RGB")
    size = (max(first.width, second.width), max(first.height, second.height))
    first, second = _on_canvas(first, size), _on_canvas(second, size)
    delta = ImageChops.difference(first, second)
    # a pixel differs when its largest channel difference passes the threshold
    channels = delta.split()
    largest = channels[0]
    for c in channels[1:]:
        largest = ImageChops.lighter(largest, c)
    mask = largest.point(lambda v: 255 if v > THRESHOLD else 0, mode="L")
    pixels = int(mask.histogram()[255])
    total = size[0] * size[1]
    if diff_out is not None:
        faded = Image.blend(Image.new("RGB", size, (255, 255, 255)), second, 0.25)
        faded.paste(Image.new("RGB", size, _RED), (0, 0), mask)
        diff_out.parent.mkdir(parents=True, exist_ok=True)
        faded.save(diff_out, format="PNG", optimize=False)
    return Difference(pixels / total if total else 0.0, pixels, size)
