"""The domain, one sub-package per concept (see docs/architecture.md):

- `org`: units (a tree of any depth), officials, admin roles, phones
- `chat`: chat accounts, link codes, dialog state, the locked per-update read, de-duplication
- `requirements`: the rule catalogue, completed training, evaluation, compliance
- `courses`: courses, registrations and the waitlist, calendar files
- `notices`: the outbox and its state machine, planning, preferences, texts, send window,
  broadcasts, audiences, the unit-head digest
- `imports` / `exports`: files HR sends in and takes away
- `demo`: the demo province

Importing this package registers every table on `Base.metadata` (Alembic needs them all).
"""

from models import audit  # noqa: F401
from models.base import Base
from models.certificates import store as certificate_store  # noqa: F401
from models.chat import (  # noqa: F401
    accounts,
    dialogs,
    file_links,
    inbound_dedup,
    link_codes,
    oa_tokens,
)
from models.courses import attendance, catalogue, evaluation_store, registrations  # noqa: F401
from models.imports import uploads  # noqa: F401
from models.notices import (  # noqa: F401
    broadcasts,
    bundling,
    job_runs,
    oa_window,
    outbox,
    preferences,
    zns_store,
)
from models.org import admins, officials, units  # noqa: F401
from models.plan import quotas  # noqa: F401
from models.requirements import self_reported, store, training_records  # noqa: F401

__all__ = ["Base"]
