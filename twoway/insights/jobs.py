"""The insights refresh: yesterday's and today's counts, snapshots and releases, hourly."""

from __future__ import annotations

import datetime as dt

from twoway.insights.aggregate import insights_refresh
from twoway.lib.jobs import job

job("insights", every=dt.timedelta(hours=1))(insights_refresh)
