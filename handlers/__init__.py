"""Channel-neutral conversation logic, one module per feature.

Importing the package registers every feature on `handlers.router.router`.
"""

from handlers import help, language, profile, requirements, start  # noqa: F401
