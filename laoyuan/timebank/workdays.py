"""Working days by the official calendar (国务院办公厅 holiday notices): holidays are off and the
make-up working days (调休) are on, from the maintained ``chinesecalendar`` package. For a year
the package does not cover yet (the State Council publishes each year's schedule late in the year
before), Monday to Friday count as working days."""

import datetime

import chinese_calendar


def is_workday(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(day: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``day`` (``day`` itself does not count)."""
    current = day
    left = count
    while left > 0:
        current += datetime.timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current
