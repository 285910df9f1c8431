# Golden values for nlrstats.stats.cutpoint: R maxstat 0.7-25 (maxstat.test, smethod = "LogRank"),
# survival 3.5 (survdiff / coxph at the chosen cut) and pROC 1.18 (roc, ci.auc DeLong, coords, roc.test).
#
# Run from the repository root:  Rscript tests/r/cutpoint_fixtures.R
# Writes tests/fixtures/cutpoint_data_*.csv (the data, made here with set.seed) and
# tests/fixtures/cutpoint_maxstat.json, tests/fixtures/cutpoint_roc.json.
suppressPackageStartupMessages({
  library(maxstat); library(survival); library(pROC); library(jsonlite); library(mvtnorm)
})
stopifnot(packageVersion("maxstat") == "0.7.25", packageVersion("pROC") == "1.18.0")
out <- "tests/fixtures"

# ---- data of our own making -------------------------------------------------------------
set.seed(20201)
n <- 60
marker <- round(rgamma(n, shape = 3, rate = 0.5))          # integers: many ties in the marker
rate <- 0.08 * exp(0.9 * (marker > 6))
time <- round(rexp(n, rate), 1) + 0.1                       # 1 decimal: ties in time too
event <- rbinom(n, 1, 0.75)
ties <- data.frame(time = time, event = event, marker = marker)

set.seed(20202)
n <- 150
m1 <- rlnorm(n, 1.6, 0.6)
m2 <- m1 * exp(rnorm(n, 0, 0.5))
time <- rexp(n, 0.05 * exp(0.5 * log(m1)))
event <- rbinom(n, 1, 0.8)
dc <- rbinom(n, 1, plogis(2 - 0.35 * m1))
cont <- data.frame(time = time, event = event, marker = m1, marker2 = m2, dc = dc)

# 13 patients, NLR-like, with ties in NLR and in months
nlr13 <- data.frame(
  nlr = c(2.1, 3.4, 4.0, 4.0, 5.2, 5.9, 6.3, 7.1, 7.8, 8.0, 9.6, 12.5, 15.3),
  plr = c(110, 260, 150, 180, 95, 240, 300, 210, 330, 280, 190, 420, 510),
  pfs = c(7.9, 4.0, 5.1, 2.3, 4.0, 6.2, 3.5, 1.6, 4.4, 1.6, 2.0, 0.9, 1.2),
  pfs_event = c(1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
  dc = c(1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0)
)
write.csv(ties, file.path(out, "cutpoint_data_ties.csv"), row.names = FALSE)
write.csv(cont, file.path(out, "cutpoint_data_cont.csv"), row.names = FALSE)
write.csv(nlr13, file.path(out, "cutpoint_data_nlr13.csv"), row.names = FALSE)

# ---- maxstat --------------------------------------------------------------------------
# exactGauss calls mvtnorm::pmvnorm; ask for an exact (Miwa, <= 8 cuts: its cost explodes with the
# dimension) or tighter (GenzBretz, abseps 1e-6) integral than the 1e-3 default.
gauss_algorithm <- function(ncut) {
  if (ncut <= 8) Miwa(steps = 4096) else GenzBretz(maxpts = 1e6, abseps = 1e-7, releps = 0)
}

one_maxstat <- function(name, d, formula, minprop, maxprop, tvar, evar, xvar) {
  res <- list(name = name, minprop = minprop, maxprop = maxprop, formula = deparse(formula))
  base <- maxstat.test(formula, data = d, smethod = "LogRank", pmethod = "none",
                       minprop = minprop, maxprop = maxprop)
  res$cuts <- unname(base$cuts)
  res$stats <- unname(base$stats)
  res$estimate <- unname(base$estimate)
  res$statistic <- unname(base$statistic)
  res$scores <- as.numeric(exactRankTests::cscores(Surv(d[[tvar]], d[[evar]]), type = "LogRank"))
  for (pm in c("Lau92", "Lau94")) {
    r <- maxstat.test(formula, data = d, smethod = "LogRank", pmethod = pm,
                      minprop = minprop, maxprop = maxprop, alpha = 0.05)
    res[[pm]] <- list(p_value = r$p.value, quant = r$quant)
  }
  if (maxprop < 1) {
    set.seed(1)
    r <- maxstat.test(formula, data = d, smethod = "LogRank", pmethod = "exactGauss",
                      minprop = minprop, maxprop = maxprop,
                      algorithm = gauss_algorithm(length(base$cuts)))
    # the Monte Carlo error pmvnorm reports (Miwa is exact): the test tolerance
    err <- if (length(base$cuts) <= 8) 0 else {
      set.seed(1)
      attr(maxstat:::pexactgauss(base$statistic, d[[xvar]], minprop, maxprop,
                       algorithm = gauss_algorithm(length(base$cuts))), "error")
    }
    res$exactGauss <- list(p_value = r$p.value, ncut = length(base$cuts), error = err)
  }
  # unadjusted: log-rank test and Cox (Efron) of marker > cut at the chosen cut
  grp <- as.integer(d[[xvar]] > base$estimate)
  sd <- survdiff(Surv(d[[tvar]], d[[evar]]) ~ grp)
  res$survdiff_chisq <- sd$chisq
  res$survdiff_p <- pchisq(sd$chisq, 1, lower.tail = FALSE)
  cx <- coxph(Surv(d[[tvar]], d[[evar]]) ~ grp, ties = "efron")
  res$cox_coef <- unname(coef(cx))
  res$cox_se <- unname(sqrt(diag(vcov(cx))))
  res
}

# the bundled reconstructed cohort (Fukuda et al. 2020): NLR = neutrophils / lymphocytes at day 0
fk <- read.csv("data/fukuda2020_reconstructed.csv")
fk$nlr <- fk$neutrophils_d0 / fk$lymphocytes_d0
fk$plr <- fk$platelets_d0 / fk$lymphocytes_d0
fk$dc <- fk$best_response %in% c("CR", "PR", "SD")

ms <- list(
  one_maxstat("fukuda_pfs", fk, Surv(pfs_months, pfs_event) ~ nlr, 0.1, 0.9, "pfs_months", "pfs_event", "nlr"),
  one_maxstat("fukuda_os", fk, Surv(os_months, os_event) ~ nlr, 0.1, 0.9, "os_months", "os_event", "nlr"),
  one_maxstat("ties", ties, Surv(time, event) ~ marker, 0.1, 0.9, "time", "event", "marker"),
  one_maxstat("ties_20_80", ties, Surv(time, event) ~ marker, 0.2, 0.8, "time", "event", "marker"),
  one_maxstat("ties_0_1", ties, Surv(time, event) ~ marker, 0, 1, "time", "event", "marker"),
  one_maxstat("cont", cont, Surv(time, event) ~ marker, 0.1, 0.9, "time", "event", "marker"),
  one_maxstat("nlr13", nlr13, Surv(pfs, pfs_event) ~ nlr, 0.1, 0.9, "pfs", "pfs_event", "nlr"),
  one_maxstat("nlr13_25_75", nlr13, Surv(pfs, pfs_event) ~ nlr, 0.25, 0.75, "pfs", "pfs_event", "nlr")
)

# Cox (Efron) for a binary covariate with tied event times, for the bootstrap's Newton kernel
cox_cases <- list()
for (k in 1:3) {
  set.seed(300 + k)
  nn <- c(25, 80, 200)[k]
  tt <- round(rexp(nn, 0.2), 0) + 1
  ee <- rbinom(nn, 1, 0.7)
  gg <- rbinom(nn, 1, 0.4)
  cx <- coxph(Surv(tt, ee) ~ gg, ties = "efron")
  cox_cases[[k]] <- list(time = tt, event = ee, x = gg, coef = unname(coef(cx)),
                         se = unname(sqrt(diag(vcov(cx)))), loglik = cx$loglik)
}

write(toJSON(list(maxstat = ms, cox = cox_cases), digits = NA, auto_unbox = TRUE, pretty = TRUE),
      file.path(out, "cutpoint_maxstat.json"))

# ---- pROC -------------------------------------------------------------------------------
one_roc <- function(name, response, predictor, ..., at = 8) {
  r <- roc(response, predictor, quiet = TRUE, ...)
  ci <- ci.auc(r, method = "delong")
  best <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
  at_c <- coords(r, at, input = "threshold", ret = c("threshold", "sensitivity", "specificity"))
  list(name = name, direction = r$direction, levels = as.character(r$levels),
       auc = as.numeric(r$auc), conf_low = ci[1], conf_high = ci[3],
       thresholds = r$thresholds, sensitivities = r$sensitivities, specificities = r$specificities,
       youden = list(threshold = best$threshold, sensitivity = best$sensitivity,
                     specificity = best$specificity),
       at = list(cut = at, sensitivity = at_c$sensitivity, specificity = at_c$specificity))
}

rocs <- list(
  one_roc("fukuda_dc", fk$dc, fk$nlr, at = 8),
  one_roc("ties_auto", ties$marker > 6 & ties$event == 1, ties$marker, at = 6),
  one_roc("cont_dc", cont$dc, cont$marker, at = 5),
  one_roc("cont_dc_lt", cont$dc, cont$marker, direction = "<", at = 5),
  one_roc("cont_dc_levels", cont$dc, cont$marker, levels = c(1, 0), at = 5),
  one_roc("nlr13_dc", nlr13$dc, nlr13$nlr, at = 8),
  one_roc("nlr13_dc_plr", nlr13$dc, nlr13$plr, at = 250)
)

tests <- list()
t1 <- roc.test(roc(cont$dc, cont$marker, quiet = TRUE), roc(cont$dc, cont$marker2, quiet = TRUE),
               method = "delong", paired = TRUE)
tests[[1]] <- list(name = "cont_m1_m2", statistic = unname(t1$statistic), p_value = t1$p.value,
                   estimate = unname(t1$estimate), conf_low = t1$conf.int[1], conf_high = t1$conf.int[2])
t2 <- roc.test(roc(nlr13$dc, nlr13$nlr, quiet = TRUE), roc(nlr13$dc, nlr13$plr, quiet = TRUE),
               method = "delong", paired = TRUE)
tests[[2]] <- list(name = "nlr13_nlr_plr", statistic = unname(t2$statistic), p_value = t2$p.value,
                   estimate = unname(t2$estimate), conf_low = t2$conf.int[1], conf_high = t2$conf.int[2])

t3 <- roc.test(roc(fk$dc, fk$nlr, quiet = TRUE), roc(fk$dc, fk$plr, quiet = TRUE),
               method = "delong", paired = TRUE)
tests[[3]] <- list(name = "fukuda_nlr_plr", statistic = unname(t3$statistic), p_value = t3$p.value,
                   estimate = unname(t3$estimate), conf_low = t3$conf.int[1], conf_high = t3$conf.int[2])

write(toJSON(list(roc = rocs, roc_test = tests), digits = NA, auto_unbox = TRUE, pretty = TRUE),
      file.path(out, "cutpoint_roc.json"))
cat("written\n")
