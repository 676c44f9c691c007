"""Completion certificates (#16.5): issued once a course is done and its evaluation
answered, each with a short verification code and a QR of the verification deep link;
verifiable by anyone (/xacminh, `troly certificate verify`), revocable by the admins who
reach the course's owner unit, and expiring where the training kind's rule recurs yearly.

- `codes`: the verification code (alphabet, check character, normalisation)
- `store`: the tables (certificates, verification attempts)
- `issuing`: issue_certificate and the official's list
- `verifying`: verify, the per-requester attempt limit and its log
- `revoking`: revoke (authorised, audited, the official told through the outbox)
- `expiry`: the end of a yearly rule's period; `reminders`: the notice before it
- `pdf`: the certificate as a PDF
"""
