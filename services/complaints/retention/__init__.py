"""Retention by rule: how long a closed case keeps its filer's personal data (`periods`, data
like the time limits), and the job that erases what has expired (`job`)."""
