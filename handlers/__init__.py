"""Channel-neutral conversation logic, one module (and one router) per feature.

`ROUTER` is every feature's router composed, in this order: when two free-text intents
match equally well, the earlier feature wins. Adding a feature is adding its module and
naming its router here.
"""

from handlers import (
    admin,
    admin_export,
    admin_files,
    broadcast,
    courses,
    digest,
    evaluation,
    evaluation_results,
    help,
    language,
    my_courses,
    privacy,
    profile,
    reminders,
    reports,
    requirements,
    rollout,
    start,
    unreached,
)
from handlers.router import Router, compose

# The order the features registered in before they had routers of their own.
ROUTERS: tuple[Router, ...] = (
    admin.router,
    reports.router,
    admin_export.router,
    admin_files.router,
    rollout.router,
    broadcast.router,
    courses.router,
    digest.router,
    help.router,
    language.router,
    my_courses.router,
    requirements.router,
    profile.router,
    privacy.router,
    reminders.router,
    start.router,
    unreached.router,
    # --- course evaluation (#16.4) ---
    evaluation.router,
    evaluation_results.router,
)

ROUTER = compose("troly", ROUTERS)
