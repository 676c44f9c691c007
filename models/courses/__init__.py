"""Courses, registrations with the waitlist, and calendar files."""
