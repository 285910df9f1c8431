# Golden values for nlrstats.stats.survival from R's survival package (3.5).
# Run from the repository root:  Rscript tests/r/survival_fixtures.R
# Writes the data sets to tests/fixtures/survival_<name>.csv and R's results to
# tests/fixtures/survival_fixtures.json; the Python tests read these files and never call R.
suppressPackageStartupMessages({library(jsonlite); library(survival)})
stopifnot(packageVersion("survival") >= "3.5")
set.seed(20201105)

num <- function(v) {
  if (is.null(v) || length(v) == 0) return(list())
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
fx <- function(name) file.path("tests", "fixtures", paste0("survival_", name, ".csv"))

## data sets ---------------------------------------------------------------
# Hand-made: ties between events and censorings at one time (t = 3, 5), censoring at
# the last time, a one-patient group (c), a group without events (z).
ties <- data.frame(
  time  = c(1, 2, 3, 3, 3, 4, 5, 5, 5, 7, 8,   2, 3, 3, 4, 6, 6, 9,   5,   2, 4, 9),
  event = c(1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0,   1, 1, 0, 1, 1, 0, 0,   1,   0, 0, 0),
  g     = c(rep("a", 11), rep("b", 7), "c", rep("z", 3)),
  x     = c(0.5, 1.2, -0.3, 0.8, 2.1, -1.0, 0.0, 1.5, 0.3, -0.7, 0.9,
            1.1, 2.2, 0.4, 1.9, 0.6, -0.2, 1.3, 0.7, -0.5, 0.2, 1.0),
  s     = c(rep(c("s1", "s2"), 11))
)
write.csv(ties, fx("ties"), row.names = FALSE)

# Hand-made 13-patient NLR example: 9 low / 4 high; the high group has ties and no censoring.
nlr13 <- data.frame(
  patient_id = sprintf("P%02d", 1:13),
  nlr_d0 = c(2.1, 3.4, 4.0, 5.2, 6.1, 6.8, 7.2, 7.9, 3.3, 8.4, 9.9, 12.5, 15.0),
  pfs_months = c(4.0, 2.5, 6.3, 4.0, 8.1, 1.9, 4.0, 10.2, 5.5, 1.6, 1.6, 0.9, 2.2),
  pfs_event  = c(1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1),
  os_months  = c(10.2, 6.1, 14.9, 8.0, 17.3, 4.3, 10.2, 20.5, 12.0, 3.8, 3.8, 2.1, 5.0),
  os_event   = c(1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1)
)
nlr13$nlr_group <- ifelse(nlr13$nlr_d0 >= 8, "NLR \u2265 8", "NLR < 8")
write.csv(nlr13, fx("nlr13"), row.names = FALSE, fileEncoding = "UTF-8")

# The reconstructed study cohort, with NLR and the group at the cut-off 8.
fuk <- read.csv(file.path("data", "fukuda2020_reconstructed.csv"), stringsAsFactors = FALSE)
fuk$nlr_d0 <- fuk$neutrophils_d0 / fuk$lymphocytes_d0
fuk$nlr_group <- ifelse(fuk$nlr_d0 >= 8, "NLR \u2265 8", "NLR < 8")
fuk <- fuk[, c("patient_id", "age", "ecog", "nlr_d0", "nlr_group", "pfs_months", "pfs_event",
               "os_months", "os_event")]
write.csv(fuk, fx("fukuda"), row.names = FALSE, fileEncoding = "UTF-8")

# Simulated: 300 patients, times rounded to 0.1 (many ties), 3 groups, covariates, 2 strata.
n <- 300
sim <- data.frame(x1 = round(rnorm(n), 3), g3 = sample(c("low", "mid", "high"), n, TRUE),
                  s = sample(c("A", "B"), n, TRUE), age = round(rnorm(n, 65, 9)))
lin <- 0.5 * sim$x1 + c(low = 0, mid = 0.4, high = 0.9)[sim$g3] + 0.02 * (sim$age - 65)
ev_t <- rexp(n, 0.1 * exp(lin) * ifelse(sim$s == "A", 1, 1.6))
ce_t <- runif(n, 2, 25)
sim$time <- pmax(round(pmin(ev_t, ce_t), 1), 0.1)
sim$event <- as.integer(ev_t <= ce_t)
write.csv(sim, fx("sim"), row.names = FALSE)

# Analyse the data as read back from the CSV files, so Python and R see identical numbers.
data_sets <- lapply(c(ties = "ties", nlr13 = "nlr13", fukuda = "fukuda", sim = "sim"),
                    function(nm) read.csv(fx(nm), stringsAsFactors = FALSE, fileEncoding = "UTF-8"))

## results ------------------------------------------------------------------
km_case <- function(ds, formula, conf_type = "log", conf_level = 0.95, times = NULL) {
  f <- survfit(as.formula(formula), data = data_sets[[ds]], conf.type = conf_type, conf.int = conf_level)
  strata <- if (is.null(f$strata)) rep("", length(f$time)) else rep(names(f$strata), f$strata)
  tab <- summary(f)$table
  if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
  lcl <- paste0(conf_level, "LCL"); ucl <- paste0(conf_level, "UCL")
  out <- list(dataset = ds, call = "survfit", formula = formula, conf_type = conf_type,
              conf_level = conf_level,
              strata_labels = if (is.null(f$strata)) list() else names(f$strata),
              tidy = list(strata = strata, time = num(f$time), n_risk = num(f$n.risk),
                          n_event = num(f$n.event), n_censor = num(f$n.censor), estimate = num(f$surv),
                          std_error = num(f$std.err), conf_low = num(f$lower), conf_high = num(f$upper)),
              median = list(strata = if (is.null(f$strata)) list("") else names(f$strata),
                            records = num(tab[, "records"]), events = num(tab[, "events"]),
                            median = num(tab[, "median"]), conf_low = num(tab[, lcl]),
                            conf_high = num(tab[, ucl])))
  if (!is.null(times)) {
    s <- summary(f, times = times)
    st <- if (is.null(s$strata)) rep("", length(s$time)) else as.character(s$strata)
    out$times <- times
    out$at <- list(strata = st, time = num(s$time), n_risk = num(s$n.risk), n_event = num(s$n.event),
                   estimate = num(s$surv), std_error = num(s$std.err), conf_low = num(s$lower),
                   conf_high = num(s$upper))
  }
  out
}

diff_case <- function(ds, formula, rho = 0) {
  d <- survdiff(as.formula(formula), data = data_sets[[ds]], rho = rho)
  o <- if (is.matrix(d$obs)) rowSums(d$obs) else d$obs
  e <- if (is.matrix(d$exp)) rowSums(d$exp) else d$exp
  df <- sum(e > 0) - 1
  list(dataset = ds, call = "survdiff", formula = formula, rho = rho,
       statistic = d$chisq, df = df, p_value = pchisq(d$chisq, df, lower.tail = FALSE),
       groups = list(strata = names(d$n), n = num(d$n), observed = num(o), expected = num(e),
                     o_e_sq_e = num((o - e)^2 / e), o_e_sq_v = num((o - e)^2 / diag(d$var))))
}

cox_case <- function(ds, formula, ties = "efron", zph = TRUE) {
  fit <- coxph(as.formula(formula), data = data_sets[[ds]], ties = ties)
  s <- summary(fit)
  cf <- s$coefficients; ci <- s$conf.int
  lr <- 2 * diff(fit$loglik); df <- sum(!is.na(coef(fit)))
  out <- list(dataset = ds, call = "coxph", formula = formula, ties = ties,
              tidy = list(term = rownames(cf), estimate = num(cf[, "exp(coef)"]), coef = num(cf[, "coef"]),
                          std_error = num(cf[, "se(coef)"]), statistic = num(cf[, "z"]),
                          p_value = num(cf[, "Pr(>|z|)"]), conf_low = num(ci[, "lower .95"]),
                          conf_high = num(ci[, "upper .95"])),
              glance = list(n = fit$n, nevent = fit$nevent, loglik = fit$loglik[2],
                            loglik_null = fit$loglik[1],
                            # summary.coxph rounds its tests: recompute them unrounded
                            statistic_log = lr, p_value_log = pchisq(lr, df, lower.tail = FALSE),
                            statistic_sc = unname(fit$score), p_value_sc = pchisq(fit$score, df, lower.tail = FALSE),
                            statistic_wald = unname(fit$wald.test),
                            p_value_wald = pchisq(fit$wald.test, df, lower.tail = FALSE),
                            concordance = unname(fit$concordance["concordance"]),
                            std_error_concordance = unname(fit$concordance["std"])),
              var = num(fit$var), iter = fit$iter)
  if (zph) {
    z <- cox.zph(fit, transform = "km")
    out$zph <- list(term = rownames(z$table), chisq = num(z$table[, "chisq"]), df = num(z$table[, "df"]),
                    p = num(z$table[, "p"]))
  }
  out
}

cases <- list(
  km_case("ties", "Surv(time, event) ~ g", times = c(0, 2, 3, 4.5, 8, 9, 20)),
  km_case("ties", "Surv(time, event) ~ 1", times = c(1, 3, 5)),
  km_case("ties", "Surv(time, event) ~ g", conf_type = "log-log"),
  km_case("ties", "Surv(time, event) ~ g", conf_type = "plain", conf_level = 0.9),
  km_case("ties", "Surv(time, event) ~ g + s"),
  km_case("ties", "Surv(time, event) ~ strata(s)"),
  km_case("nlr13", "Surv(pfs_months, pfs_event) ~ nlr_group", times = c(1, 3, 6, 12)),
  km_case("nlr13", "Surv(os_months, os_event) ~ nlr_group", times = c(3, 6, 12)),
  km_case("fukuda", "Surv(pfs_months, pfs_event) ~ nlr_group", times = c(1, 2, 3, 6)),
  km_case("fukuda", "Surv(os_months, os_event) ~ nlr_group", times = c(3, 6, 12)),
  km_case("fukuda", "Surv(os_months, os_event) ~ 1", conf_type = "log-log"),
  km_case("sim", "Surv(time, event) ~ g3", times = c(1, 5, 10, 20)),
  km_case("sim", "Surv(time, event) ~ g3", conf_type = "log-log"),
  diff_case("ties", "Surv(time, event) ~ g"),
  diff_case("ties", "Surv(time, event) ~ g + strata(s)"),
  diff_case("ties", "Surv(time, event) ~ g", rho = 1),
  diff_case("nlr13", "Surv(pfs_months, pfs_event) ~ nlr_group"),
  diff_case("nlr13", "Surv(os_months, os_event) ~ nlr_group"),
  diff_case("fukuda", "Surv(pfs_months, pfs_event) ~ nlr_group"),
  diff_case("fukuda", "Surv(os_months, os_event) ~ nlr_group"),
  diff_case("sim", "Surv(time, event) ~ g3"),
  diff_case("sim", "Surv(time, event) ~ g3 + strata(s)"),
  diff_case("sim", "Surv(time, event) ~ g3", rho = 1),
  diff_case("sim", "Surv(time, event) ~ g3", rho = 0.5),
  cox_case("ties", "Surv(time, event) ~ x"),
  cox_case("ties", "Surv(time, event) ~ x", ties = "breslow"),
  cox_case("ties", "Surv(time, event) ~ x + strata(s)"),
  cox_case("nlr13", "Surv(pfs_months, pfs_event) ~ nlr_group"),
  cox_case("nlr13", "Surv(os_months, os_event) ~ nlr_group"),
  cox_case("nlr13", "Surv(os_months, os_event) ~ nlr_d0", ties = "breslow"),
  cox_case("fukuda", "Surv(pfs_months, pfs_event) ~ nlr_group"),
  cox_case("fukuda", "Surv(os_months, os_event) ~ nlr_group"),
  cox_case("fukuda", "Surv(os_months, os_event) ~ nlr_d0 + age"),
  cox_case("sim", "Surv(time, event) ~ x1 + g3 + age"),
  cox_case("sim", "Surv(time, event) ~ x1 + g3 + age", ties = "breslow"),
  cox_case("sim", "Surv(time, event) ~ x1 + g3 + strata(s)"),
  cox_case("sim", "Surv(time, event) ~ g3")
)
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "survival_fixtures.json"))
cat("wrote", length(cases), "cases\n")
