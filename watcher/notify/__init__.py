"""Alerts, the weekly digest, reminders and the calendar: who hears of a call, once, on time.

settings.py    the [mail] and [schedule] sections (MailConfig, ScheduleConfig, Route) and
               NotifySettings, what this package needs from the whole configuration
routing.py     who gets a call: domain owners, [[mail.routes]], else the default recipient
outbox.py      enqueue_alerts (in the poll's transaction), AlertItem, idempotent inserts
sender.py      drain: claim -> send -> mark, retries with backoff, failures
transport.py   the Transport protocol and its failures; smtp.py (smtplib), eml.py (files)
render.py      the one sandboxed Jinja environment; MIME messages (text + HTML)
context.py     a tender as templates see it, worded in French; subjects.py the subjects
admin.py       a failing source reported once, and its recovery once
digest.py      the weekly digest (email per recipient, standalone HTML); chart.py its chart
reminders.py   J-7 / J-2 reminders of calls marked go; calendar.py the .ics export
queries.py     bulk reads of tenders and verdicts; jobs.py small job state; week.py ISO weeks
queue.py       outbox counts and listings; demo.py the demo's mail step
"""

# No imports here: the config loader reads notify.settings, and every CLI command pays for
# what this package's __init__ imports (the outbox pulled in Jinja and the store: 0.3 s).
