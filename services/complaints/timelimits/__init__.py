"""Time limits: the working-day calendar, the limits of each stage, due times and the watchdog.

`calendar` counts China's official working days (`schedules` reads, checks and stores the
official schedules it stands on), `limits` holds each stage's limit per category, `deadlines`
walks those limits on the calendar into due times, `cli` is `huiyin calendar`, and `watchdog`
sweeps for clocks near or past their due time. The calendar, the limits and the due times stand
on the domain alone, so the application can use them; only the watchdog uses the application.
"""
