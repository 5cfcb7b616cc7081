"""Photos sent with reports and feedback: checked by content, stored under var/attachments."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from werkzeug.datastructures import FileStorage

from data.private_files import private_dir, write_private

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 5
#: what the first bytes of an accepted image look like, and its file ending
_SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"RIFF", "webp"))


class AttachmentError(ValueError):
    pass


def _kind(head: bytes) -> str | None:
    for signature, ending in _SIGNATURES:
        if head.startswith(signature) and (ending != "webp" or head[8:12] == b"WEBP"):
            return ending
    return None


def store_photos(files: list[FileStorage], var_dir: Path) -> list[str]:
    """Validate every photo first, then store them; returns references like att/20261129/x.jpg."""
    if len(files) > MAX_PHOTOS:
        raise AttachmentError(f"最多 {MAX_PHOTOS} 张照片，实际 {len(files)} 张")
    checked: list[tuple[bytes, str]] = []
    for index, item in enumerate(files):
        data = item.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise AttachmentError(f"第 {index + 1} 张照片超过 5 MB")
        ending = _kind(data[:16])
        if ending is None:
            raise AttachmentError(f"第 {index + 1} 张照片不是 JPEG/PNG/WebP 图片")
        checked.append((data, ending))
    day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    attachments = Path(var_dir) / "attachments"
    references = []
    for data, ending in checked:
        # photos show residents and their homes: owner-only, whatever the umask
        private_dir(attachments)
        folder = private_dir(attachments / day)
        name = f"{uuid.uuid4().hex}.{ending}"
        write_private(folder / name, data)
        references.append(f"att/{day}/{name}")
    return references
