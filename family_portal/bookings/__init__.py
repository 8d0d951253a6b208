"""Bookings: the days (and sessions) a child enrolled in a service comes, booked and
cancelled by parents until the service's deadline, or by agents at any time."""
