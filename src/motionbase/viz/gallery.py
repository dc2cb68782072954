"""An offline HTML gallery: one card per motion with its prompt, the video and download links.

The page is one self-contained file: inline CSS, no scripts, no remote fonts; media are linked by
paths relative to the page, so the folder can be zipped, served or opened from disk as it is.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import quote

from ..errors import FormatError
from . import atomic_output, checked_path

_MEDIA_KEYS = ("video", "gif", "bvh", "npy")
_ALIASES = {"mp4": "video", "caption": "prompt"}


@dataclass(frozen=True)
class GalleryItem:
    """One card. ``title`` is the heading, ``prompt`` the text the motion was made from (either may be empty).

    Media paths (absolute, or relative to the current directory) are linked relative to the page.
    """

    title: str = ""
    prompt: str = ""
    video: str | os.PathLike | None = None
    gif: str | os.PathLike | None = None
    bvh: str | os.PathLike | None = None
    npy: str | os.PathLike | None = None

    @classmethod
    def from_dict(cls, d: Mapping, where: str) -> "GalleryItem":
        known = {f.name for f in fields(cls)}
        kwargs = {}
        for key, value in d.items():
            name = _ALIASES.get(key, key)
            if name not in known:
                raise FormatError(where, f"unknown key {key!r}; expected some of "
                                         "title, prompt, video (mp4), gif, bvh, npy")
            kwargs[name] = value
        return cls(**kwargs)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;
 background:#f6f5f2;color:#222}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:20px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:16px;padding:16px 24px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px}
figure h2{font-size:15px;margin:0 0 6px}
figure video,figure img{width:100%;height:auto;border-radius:4px;background:#fff;display:block}
figcaption{font-size:14px;line-height:1.4;margin:8px 0}
.links a{font-size:13px;margin-right:12px;color:#1f5fd6}
footer{font-size:12px;color:#777;padding:8px 24px 24px}
"""


def _href(path, page_dir: Path, where: str, check: bool) -> str:
    p = Path(path)
    if check and not p.is_file():
        raise FormatError(p, f"{where}: media file not found")
    rel = os.path.relpath(p.resolve(), page_dir.resolve())
    return quote(Path(rel).as_posix())


def _card(item: GalleryItem, page_dir: Path, where: str, check: bool) -> str:
    esc = html.escape
    links = {k: _href(getattr(item, k), page_dir, where, check) for k in _MEDIA_KEYS if getattr(item, k)}
    label = item.title or item.prompt or where
    parts = ["<figure>"]
    if item.title:
        parts.append(f"<h2>{esc(item.title)}</h2>")
    if "video" in links:
        fallback = f'<img src="{links["gif"]}" alt="{esc(label)}">' if "gif" in links else ""
        parts.append(f'<video src="{links["video"]}" controls loop muted autoplay playsinline '
                     f'preload="metadata" aria-label="{esc(label)}">{fallback}</video>')
    elif "gif" in links:
        parts.append(f'<img src="{links["gif"]}" alt="{esc(label)}" loading="lazy">')
    if item.prompt:
        parts.append(f"<figcaption>{esc(item.prompt)}</figcaption>")
    names = {"video": "mp4", "gif": "gif", "bvh": "bvh", "npy": "npy"}
    anchors = " ".join(f'<a href="{href}" download>{names[k]}</a>' for k, href in links.items())
    if anchors:
        parts.append(f'<div class="links">download: {anchors}</div>')
    parts.append("</figure>")
    return "".join(parts)


def write_gallery(items: Sequence[Mapping | GalleryItem], out_html, *, title: str = "motionbase gallery",
                  check_files: bool = True) -> Path:
    """Write a self-contained HTML page showing each item; returns ``out_html``.

    items: dicts with ``prompt``/``title`` and media paths ``video`` (or ``mp4``), ``gif``, ``bvh``,
    ``npy`` (all optional), or :class:`GalleryItem`. With ``check_files`` a missing media file is a
    :class:`FormatError` (no dead links). The page is written atomically.
    """
    out = checked_path(out_html, (".html", ".htm"), "page")
    page_dir = out.parent if str(out.parent) else Path(".")
    cards = []
    for i, it in enumerate(items):
        where = f"gallery item {i}"
        item = it if isinstance(it, GalleryItem) else GalleryItem.from_dict(it, where)
        cards.append(_card(item, page_dir, where, check_files))
    esc = html.escape
    page = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>"
            f"<header><h1>{esc(title)}</h1></header>\n<main>\n" + "\n".join(cards) + "\n</main>"
            f"<footer>{len(cards)} motions. Colours: left side blue, right side red. Made with motionbase.</footer>"
            "</body></html>\n")
    with atomic_output(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
