"""The domain: tables and the operations on them, one module per concept.

Importing this package registers every table on `Base.metadata` (Alembic needs them all).
"""

from models import (  # noqa: F401
    accounts,
    audit,
    dialogs,
    link_codes,
    officials,
    org_units,
    rules,
    training_records,
)
from models.base import Base

__all__ = ["Base"]
