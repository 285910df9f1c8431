# Golden values for the study's cut-point section on the bundled reconstruction.
# R 4.2.2, survival 3.5-3, maxstat 0.7-25, pROC 1.18.0; every random draw follows set.seed().
# Run from the project root:
#   Rscript tests/r/study_fixtures.R > tests/fixtures/study_cutpoint.json
suppressPackageStartupMessages({library(survival); library(maxstat); library(pROC)})
d <- read.csv("data/fukuda2020_reconstructed.csv")
d$nlr_d0 <- d$neutrophils_d0 / d$lymphocytes_d0
d$dc <- d$best_response %in% c("CR", "PR", "SD")
ms <- function(f) {
  # exactGauss integrates by randomised quasi-Monte Carlo (mvtnorm): seed it so reruns agree
  set.seed(2020)
  m <- maxstat.test(f, data = d, smethod = "LogRank", pmethod = "exactGauss", minprop = 0.1, maxprop = 0.9,
                    abseps = 1e-8)
  sprintf('{"cut": %.15g, "statistic": %.15g, "p_value": %.15g}', m$estimate, m$statistic, m$p.value)
}
r <- roc(d$dc, d$nlr_d0, quiet = TRUE)
ci <- ci.auc(r, method = "delong")
y <- coords(r, x = "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
cat(sprintf('{\n "pfs": %s,\n "os": %s,\n "roc_dcr": {"auc": %.15g, "conf_low": %.15g, "conf_high": %.15g, "youden": %.15g, "direction": "%s"}\n}\n',
            ms(Surv(pfs_months, pfs_event) ~ nlr_d0), ms(Surv(os_months, os_event) ~ nlr_d0),
            as.numeric(r$auc), ci[1], ci[3], y$threshold[1], r$direction))
