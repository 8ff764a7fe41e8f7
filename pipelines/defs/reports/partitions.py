"""Report partitions: quarter x region (regional summaries), quarter x institution (feedback
reports). Quarters grow with the calendar: a quarter's partition appears once the quarter has
ended (Dagster keys a quarter by its first month: 2026-07 is 2026-Q3)."""

from datetime import datetime

import dagster as dg

from pipelines.common.periods import Period, period_of
from pipelines.common.registry import institutions, subregions
from pipelines.reports.data import AMERICAS

FIRST_QUARTER = "2020-01"
QUARTER_KEY_FORMAT = "%Y-%m"


def _quarters() -> dg.TimeWindowPartitionsDefinition:
    return dg.TimeWindowPartitionsDefinition(
        start=FIRST_QUARTER, fmt=QUARTER_KEY_FORMAT, cron_schedule="0 0 1 1,4,7,10 *", timezone="UTC"
    )


REPORT_PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "period": _quarters(),
        "region": dg.StaticPartitionsDefinition([AMERICAS, *sorted(subregions())]),
    }
)


def quarter_key(period: Period) -> str:
    return period.start.strftime(QUARTER_KEY_FORMAT)


def period_of_key(key: str) -> Period:
    return period_of(datetime.strptime(key, QUARTER_KEY_FORMAT).date())


# Feedback reports: quarter x institution of the registry.
FEEDBACK_PARTITIONS = dg.MultiPartitionsDefinition(
    {"period": _quarters(), "institution": dg.StaticPartitionsDefinition(sorted(institutions()))}
)
