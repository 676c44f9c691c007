"""The domain: tables and the operations on them, one module per concept.

Importing this package registers every table on `Base.metadata` (Alembic needs them all).
"""

from models import (  # noqa: F401
    accounts,
    admins,
    audit,
    broadcasts,
    courses,
    dialogs,
    inbound_dedup,
    link_codes,
    notice_preferences,
    notices,
    officials,
    org_units,
    registrations,
    rules,
    training_records,
    uploads,
)
from models.base import Base

__all__ = ["Base"]
