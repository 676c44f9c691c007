"""Channel-neutral conversation logic, one module (and one router) per feature.

`ROUTER` is every feature's router composed, in this order: when two free-text intents
match equally well, the earlier feature wins. Adding a feature is adding its module and
naming its router here.
"""

from handlers import (
    admin,
    admin_export,
    admin_files,
    attendance,
    broadcast,
    certificates,
    courses,
    digest,
    evaluation,
    evaluation_results,
    help,
    language,
    my_courses,
    nominations,
    privacy,
    profile,
    reminders,
    reports,
    requirements,
    rollout,
    self_report,
    self_report_review,
    start,
    unreached,
    year_plan,  # the year's plan (#16.1)
    year_report,
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
    # --- self-reported certificates (#16.8) ---
    self_report.router,
    self_report_review.router,
    start.router,
    unreached.router,
    nominations.router,  # --- nominations (#16.2) ---
    # --- year-end report (#16.6) ---
    year_report.router,
    # --- attendance (#16.3) ---
    attendance.router,
    # --- certificates (#16.5) ---
    certificates.router,
    year_plan.router,  # the year's plan (#16.1)
    # --- course evaluation (#16.4) ---
    evaluation.router,
    evaluation_results.router,
)

ROUTER = compose("troly", ROUTERS)
