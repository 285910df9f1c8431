# Golden values for nlrstats.stats.multisite (site summaries pooled) from R's survival package (3.5):
# the patient-level analyses stratified by site that pooling must reproduce.
# Run from the repository root:  Rscript tests/r/multisite_fixtures.R
# Writes the data sets to tests/fixtures/multisite_<name>.csv and R's results to
# tests/fixtures/multisite_fixtures.json; the Python tests read these files and never call R.
suppressPackageStartupMessages({library(jsonlite); library(survival)})
stopifnot(packageVersion("survival") >= "3.5")
set.seed(20201201)

num <- function(v) {
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
fx <- function(name) file.path("tests", "fixtures", paste0("multisite_", name, ".csv"))
hi <- "NLR \u2265 8"; lo <- "NLR < 8"

## data sets ---------------------------------------------------------------
# Three hospitals with different baseline hazards and follow-up; times to 0.1 month (ties between
# events and censorings, across groups), a binary response, one missing time.
n <- 600
site <- sample(c("Kyoto", "Osaka", "Tokyo"), n, TRUE, prob = c(0.5, 0.3, 0.2))
grp <- ifelse(runif(n) < 0.35, hi, lo)
rate <- 0.08 * c(Kyoto = 1, Osaka = 1.5, Tokyo = 0.7)[site] * ifelse(grp == hi, 1.8, 1)
ev_t <- rexp(n, rate)
ce_t <- runif(n, 3, c(Kyoto = 30, Osaka = 20, Tokyo = 40)[site])
multi <- data.frame(site = site, nlr_group = grp, os_months = pmax(round(pmin(ev_t, ce_t), 1), 0.1),
                    os_event = as.integer(ev_t <= ce_t),
                    response = rbinom(n, 1, ifelse(grp == hi, 0.2, 0.45)))
multi$os_months[7] <- NA
multi$response[c(3, 11)] <- NA
write.csv(multi, fx("multi"), row.names = FALSE, fileEncoding = "UTF-8")

# Three-level group, integer days (heavy ties), one site without the "high" level.
n <- 400
site <- sample(c("A", "B", "C"), n, TRUE)
g3 <- sample(c("low", "mid", "high"), n, TRUE)
g3[site == "C" & g3 == "high"] <- "mid"
rate <- 1 / 300 * c(A = 1, B = 1.3, C = 0.8)[site] * c(low = 1, mid = 1.4, high = 2.2)[g3]
ev_t <- rexp(n, rate)
ce_t <- runif(n, 60, 900)
days <- data.frame(site = site, g3 = g3, time = pmax(ceiling(pmin(ev_t, ce_t) / 7) * 7, 1),
                   event = as.integer(ev_t <= ce_t))
write.csv(days, fx("days"), row.names = FALSE)

# The reconstructed study cohort split into three small "sites" (a site group without events).
fuk <- read.csv(file.path("data", "fukuda2020_reconstructed.csv"), stringsAsFactors = FALSE)
fuk$nlr_group <- ifelse(fuk$neutrophils_d0 / fuk$lymphocytes_d0 >= 8, hi, lo)
fuk$site <- rep(c("S1", "S2", "S3"), length.out = nrow(fuk))
fuk <- fuk[, c("patient_id", "site", "nlr_group", "pfs_months", "pfs_event", "os_months", "os_event")]
write.csv(fuk, fx("fukuda"), row.names = FALSE, fileEncoding = "UTF-8")

# Monotone likelihood: level "mid" has events only where it is alone at risk (its coefficient is
# infinite, R stops with about -21 and a warning); "lo" stays finite.
mono <- data.frame(site = c("A", "A", "A", "A", "B", "A"), g = c("lo", "lo", "lo", "hi", "mid", "mid"),
                   t = c(1, 1, 1, 1, 1, 2) / 2, e = c(0, 0, 1, 1, 1, 1))
write.csv(mono, fx("mono"), row.names = FALSE)

data_sets <- lapply(c(multi = "multi", days = "days", fukuda = "fukuda", mono = "mono"),
                    function(nm) read.csv(fx(nm), stringsAsFactors = FALSE, fileEncoding = "UTF-8"))

## results ------------------------------------------------------------------
cox_case <- function(ds, formula, ties) {
  fit <- suppressWarnings(coxph(as.formula(formula), data = data_sets[[ds]], ties = ties))
  s <- summary(fit)
  cf <- s$coefficients; ci <- s$conf.int
  lr <- 2 * diff(fit$loglik); df <- sum(!is.na(coef(fit)))
  list(dataset = ds, call = "coxph", formula = formula, ties = ties,
       tidy = list(term = rownames(cf), estimate = num(cf[, "exp(coef)"]), std_error = num(cf[, "se(coef)"]),
                   statistic = num(cf[, "z"]), p_value = num(cf[, "Pr(>|z|)"]),
                   conf_low = num(ci[, "lower .95"]), conf_high = num(ci[, "upper .95"])),
       glance = list(n = fit$n, nevent = fit$nevent, loglik = fit$loglik[2], loglik_null = fit$loglik[1],
                     statistic_log = lr, p_value_log = pchisq(lr, df, lower.tail = FALSE),
                     statistic_sc = unname(fit$score), p_value_sc = pchisq(fit$score, df, lower.tail = FALSE),
                     statistic_wald = unname(fit$wald.test),
                     p_value_wald = pchisq(fit$wald.test, df, lower.tail = FALSE),
                     concordance = unname(fit$concordance["concordance"]),
                     std_error_concordance = unname(fit$concordance["std"])),
       iter = fit$iter)
}

diff_case <- function(ds, formula, rho = 0) {
  d <- survdiff(as.formula(formula), data = data_sets[[ds]], rho = rho)
  o <- if (is.matrix(d$obs)) rowSums(d$obs) else d$obs
  e <- if (is.matrix(d$exp)) rowSums(d$exp) else d$exp
  df <- sum(e > 0) - 1
  list(dataset = ds, call = "survdiff", formula = formula, rho = rho, statistic = d$chisq, df = df,
       p_value = pchisq(d$chisq, df, lower.tail = FALSE),
       groups = list(strata = names(d$n), n = num(d$n), observed = num(o), expected = num(e)),
       var = num(d$var))
}

km_case <- function(ds, formula) {
  f <- survfit(as.formula(formula), data = data_sets[[ds]])
  list(dataset = ds, call = "survfit", formula = formula,
       tidy = list(strata = rep(names(f$strata), f$strata), time = num(f$time), n_risk = num(f$n.risk),
                   n_event = num(f$n.event), n_censor = num(f$n.censor), estimate = num(f$surv),
                   std_error = num(f$std.err), conf_low = num(f$lower), conf_high = num(f$upper)))
}

fisher_case <- function(ds, group, response) {
  d <- data_sets[[ds]]
  tab <- table(d[[group]], d[[response]])
  ft <- fisher.test(tab)
  list(dataset = ds, call = "fisher.test", group = group, response = response,
       table = num(t(tab)), p_value = ft$p.value, estimate = unname(ft$estimate),
       conf_low = ft$conf.int[1], conf_high = ft$conf.int[2])
}

cases <- list(
  cox_case("multi", "Surv(os_months, os_event) ~ nlr_group + strata(site)", "efron"),
  cox_case("multi", "Surv(os_months, os_event) ~ nlr_group + strata(site)", "breslow"),
  cox_case("days", "Surv(time, event) ~ g3 + strata(site)", "efron"),
  cox_case("days", "Surv(time, event) ~ g3 + strata(site)", "breslow"),
  cox_case("fukuda", "Surv(pfs_months, pfs_event) ~ nlr_group + strata(site)", "efron"),
  cox_case("fukuda", "Surv(os_months, os_event) ~ nlr_group + strata(site)", "efron"),
  cox_case("fukuda", "Surv(os_months, os_event) ~ nlr_group + strata(site)", "breslow"),
  cox_case("mono", "Surv(t, e) ~ g + strata(site)", "efron"),
  diff_case("multi", "Surv(os_months, os_event) ~ nlr_group + strata(site)"),
  diff_case("multi", "Surv(os_months, os_event) ~ nlr_group + strata(site)", rho = 1),
  diff_case("days", "Surv(time, event) ~ g3 + strata(site)"),
  diff_case("fukuda", "Surv(pfs_months, pfs_event) ~ nlr_group + strata(site)"),
  diff_case("fukuda", "Surv(os_months, os_event) ~ nlr_group + strata(site)"),
  km_case("multi", "Surv(os_months, os_event) ~ nlr_group"),
  km_case("multi", "Surv(os_months, os_event) ~ nlr_group + site"),
  km_case("days", "Surv(time, event) ~ g3"),
  km_case("fukuda", "Surv(os_months, os_event) ~ nlr_group"),
  fisher_case("multi", "nlr_group", "response")
)
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "multisite_fixtures.json"))
cat("wrote", length(cases), "cases\n")
