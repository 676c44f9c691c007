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
    year_plan,  # the year's plan (#16.1)
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
    year_plan.router,  # the year's plan (#16.1)
)

ROUTER = compose("troly", ROUTERS)
