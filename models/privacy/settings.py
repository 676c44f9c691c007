"""Privacy settings, built from the environment by bot/config.py (privacy_settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrivacySettings:
    contact: str = ""  # the province's data-protection contact; empty: the HR office
    upload_days: int = 1  # an uploaded file's content is cleared after this at the latest
    notice_text_days: int = 90  # a delivered notice's text is pruned after this
    audit_years: int = 5  # audit entries older than this are deleted
    # A self-reported certificate's file reference is dropped this long after the decision.
    certificate_file_days: int = 30
