"""Multi-centre analyses without patient rows: site summaries of counts and their exact pooling.

``site_summary(data, "Surv(t, e) ~ group", site=...)`` keeps per (time, group) the events,
censorings and numbers at risk (and optionally response counts); ``pool_sites([...])`` gives
the log-rank test and Cox model stratified by site, equal to the patient-level analyses with
``+ strata(site)``, and Kaplan-Meier curves by group.
"""

from nlrstats.stats.multisite.coding import SiteSummaryError
from nlrstats.stats.multisite.cox import PooledCoxPH
from nlrstats.stats.multisite.pool import PooledSites, pool_sites
from nlrstats.stats.multisite.summary import SiteSummary, read_site_summary, site_summary

__all__ = ["site_summary", "SiteSummary", "read_site_summary", "pool_sites", "PooledSites", "PooledCoxPH",
           "SiteSummaryError"]
