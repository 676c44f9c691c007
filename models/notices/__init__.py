"""The outbox and its state machine, planning, preferences, texts, the send window (quiet
hours, holidays), broadcasts, audiences, the unit-head digest and the channel a notice takes.
"""
