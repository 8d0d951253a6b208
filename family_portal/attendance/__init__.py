"""Attendance (*pointage*): what the staff tick on the day, on a tablet, even offline.

- ``models``: sites and their animateurs, one ``Mark`` per child, session and day, every
  ``Tap`` received (the audit trail), ``SessionClosure`` and ``MonthClosing``.
- ``taps.record_taps``: taps from tablets (idempotent by tap id, the later tap wins per
  field) and agents' corrections (a reason once the month is closed).
- ``closing``: a session the service could not run (its bookings become ``closed``
  through ``bookings.services.close_bookings``) and a service's month closed.
- ``services.presences_for(schedule, month, enrolment_ids=None)`` is what billing
  reads (a batch's enrolments at a time): a
  ``MonthPresences`` with ``month`` (its first day), ``closed`` and ``closed_at``, and
  ``presences``, one per child and session date (booked, or ticked without booking),
  each with ``enrolment_id``, ``child_id``, ``session_id``, ``date``, ``booked``,
  ``status`` (``present``, ``absent``, ``absent_justified``, ``unchecked`` or
  ``closed``), ``arrival`` and ``departure`` (times or None) and ``corrected`` (changed
  after the month was closed: bill it as a correction on the next invoice, never by
  rewriting a sent one).
- ``views`` (the check-in pages, under /pointage/), ``api`` (the JSON the offline page
  sends and reads), ``backoffice`` (the agents' month screens in the Wagtail admin).
"""
