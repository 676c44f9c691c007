"""Files the bot would attach on Telegram, published as expiring links for Zalo.

Zalo's Bot API cannot upload files (sendDocument does not exist) and takes photos only as
public URLs it fetches itself. When the deployment has a public file address
(ZALO_PUBLIC_FILE_BASE_URL) served from ZALO_FILE_DIR by its web server, files are written
there under an unguessable folder name and deleted after ZALO_FILE_TTL_HOURS.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from handlers.types import Attachment

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Published:
    url: str
    expires_at: datetime


def safe_file_name(name: str) -> str:
    cleaned = SAFE_NAME.sub("_", name).strip("._")[-80:]
    return cleaned or "file"


class FileStore:
    def __init__(self, directory: Path, base_url: str, ttl: timedelta) -> None:
        self.directory = directory
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl

    def publish(self, attachment: Attachment) -> Published:
        self.prune()
        # 192 random bits: the link itself is the only key, so it must not be guessable.
        folder = self.directory / secrets.token_urlsafe(24)
        folder.mkdir(parents=True, mode=0o755)
        name = safe_file_name(attachment.file_name)
        (folder / name).write_bytes(attachment.content)
        return Published(
            url=f"{self.base_url}/{quote(folder.name)}/{quote(name)}",
            expires_at=datetime.now(UTC) + self.ttl,
        )

    def prune(self) -> int:
        """Delete published folders older than the TTL (by the folder's mtime, i.e. when it
        was written, so several processes sharing the folder agree)."""
        if not self.directory.is_dir():
            return 0
        cutoff = time.time() - self.ttl.total_seconds()
        removed = 0
        for folder in self.directory.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed
