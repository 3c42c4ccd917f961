"""The insights refresh: yesterday's and today's counts and snapshots, hourly (twoway.insights)."""

from __future__ import annotations

import datetime as dt

from twoway.insights.aggregate import run_job
from twoway.lib.jobs import job

job("insights", every=dt.timedelta(hours=1))(run_job)
