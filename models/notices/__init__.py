"""Everything that is sent without being asked for:

- `outbox`: the notices table and its state machine (`TRANSITIONS`); `delivery`: that
  machine's SQL (claim, start, finish, retry, release, take-over), used by `bot/sender.py`
- `stages` (pure date arithmetic) and `planning`: which reminders are due, written as rows
- `preferences`, `texts`, `send_window` (quiet hours, holidays), `channel_choice`
- `broadcasts`, `audiences`, `reception` (one classification of every recipient)
- `digest`: the unit heads' weekly digest
"""
