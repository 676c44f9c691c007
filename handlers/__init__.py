"""Channel-neutral conversation logic, one module per feature.

Importing the package registers every feature on `handlers.router.router`.
"""

from handlers import (  # noqa: F401
    admin,
    admin_export,
    admin_files,
    broadcast,
    courses,
    digest,
    help,
    language,
    my_courses,
    profile,
    reminders,
    reports,
    requirements,
    start,
)
