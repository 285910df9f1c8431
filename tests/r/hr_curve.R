# Golden values for nlrstats.hr_curve / hr_per_doubling from rms (cph + rcs, Predict, contrast, anova)
# and survival::coxph + rms::rcs.
# Run from the repository root:  Rscript tests/r/hr_curve.R
# Writes the simulated cohort to tests/fixtures/hr_curve_sim.csv (rounded, so Python reads the very
# values R fitted) and the results to tests/fixtures/hr_curve_fixtures.json; CI never calls R.
suppressPackageStartupMessages({library(jsonlite); library(survival); library(rms)})
set.seed(20261202)

num <- function(v) lapply(unname(as.numeric(v)), function(z) if (is.na(z)) NULL else z)

## a simulated cohort: log-normal NLR, a hazard rising with log NLR and flattening above ~10 ----------
n <- 400
nlr <- round(exp(rnorm(n, log(5), 0.7)), 3)
age <- round(rnorm(n, 68, 9))
lp_p <- 0.9 * pmin(log(nlr), log(10)) + 0.01 * (age - 68)
lp_o <- 0.6 * log(nlr) + 0.2 * (log(nlr) - log(5))^2 + 0.02 * (age - 68)
tp <- rexp(n, 0.08 * exp(lp_p - 0.9 * log(5)))
to <- rexp(n, 0.05 * exp(lp_o - 0.6 * log(5)))
cp <- runif(n, 6, 36); co <- runif(n, 12, 48)
sim <- data.frame(patient_id = sprintf("S%03d", seq_len(n)), nlr_d0 = nlr, age = age,
                  pfs_months = round(pmin(tp, cp), 3), pfs_event = as.integer(tp <= cp),
                  os_months = round(pmin(to, co), 3), os_event = as.integer(to <= co))
write.csv(sim, file.path("tests", "fixtures", "hr_curve_sim.csv"), row.names = FALSE)
sim <- read.csv(file.path("tests", "fixtures", "hr_curve_sim.csv"))
pbc <- read.csv(file.path("tests", "fixtures", "cox_pbc.csv"))  # written by cox_fixtures.R
pbc$death <- as.integer(pbc$status == 2)

## one case: cph and coxph agree; Predict(ref.zero) at the default grid or given x; anova's Wald rows -----
case <- function(name, data, formula, var, ref = NULL, x = NULL) {
  dd <- datadist(data)
  adj <- dd$limits["Adjust to", var]
  # the reference is datadist's "Adjust to" value, which cph keeps from the time of the fit
  if (!is.null(ref)) dd$limits["Adjust to", var] <- ref
  assign("dd", dd, envir = globalenv()); options(datadist = "dd")
  # coxph's convergence criterion (cph's default eps = 1e-4 stops earlier), so both give one fit
  f <- cph(formula, data = data, x = TRUE, y = TRUE, eps = 1e-9, tol = 1e-12)
  g <- coxph(formula, data = data)
  stopifnot(isTRUE(all.equal(unname(coef(f)), unname(coef(g)), tolerance = 1e-8)))
  stopifnot(isTRUE(all.equal(unname(vcov(f)), unname(vcov(g)), tolerance = 1e-8)))
  args <- list(f, ref.zero = TRUE, conf.int = 0.95)
  args[[var]] <- if (is.null(x)) NA else x
  p <- if (is.null(x)) do.call(Predict, c(args[1], list(name = var), args[2:3])) else do.call(Predict, args)
  a <- anova(f)
  rn <- rownames(a)
  nl <- which(rn == " Nonlinear")[1]
  out <- list(name = name, data = deparse(substitute(data)), formula = paste(deparse(formula), collapse = ""),
              var = var, ref = if (is.null(ref)) adj else ref, adjust_to = adj, given_x = !is.null(x),
              x = num(p[[var]]), log_hr = num(p$yhat), lower = num(p$lower), upper = num(p$upper),
              coef = num(coef(g)), chisq = a[var, "Chi-Square"], df = a[var, "d.f."], p_value = a[var, "P"],
              nonlinear_chisq = if (is.na(nl)) NULL else a[nl, "Chi-Square"],
              nonlinear_df = if (is.na(nl)) 0 else a[nl, "d.f."], nonlinear_p = if (is.na(nl)) NULL else a[nl, "P"],
              n = g$n, nevent = g$nevent)
  if (!is.null(x)) {  # contrast() gives the same hazard ratios
    k <- contrast(f, setNames(list(x), var), setNames(list(out$ref), var))
    stopifnot(isTRUE(all.equal(as.numeric(k$Contrast), as.numeric(p$yhat), tolerance = 1e-8)))
  }
  out
}

cases <- list(
  case("sim_pfs_rcs4", sim, Surv(pfs_months, pfs_event) ~ rcs(nlr_d0, 4), "nlr_d0"),
  case("sim_os_rcs3_age", sim, Surv(os_months, os_event) ~ rcs(nlr_d0, 3) + age, "nlr_d0", ref = 8,
       x = c(1, 2, 3.5, 5, 8, 12, 20, 30)),
  case("sim_os_rcs5", sim, Surv(os_months, os_event) ~ rcs(nlr_d0, 5) + age, "nlr_d0"),
  case("pbc_bili_rcs4_age", pbc, Surv(time, death) ~ rcs(bili, 4) + age, "bili", x = c(0.5, 1, 2, 5, 10, 20)),
  case("pbc_bili_linear", pbc, Surv(time, death) ~ bili + age, "bili", x = c(0.5, 1, 2, 5, 10))
)

## hazard ratio per doubling: coxph with log2(marker) ----------------------------------------------------
doubling <- function(name, data, formula, term) {
  g <- coxph(formula, data = data)
  s <- summary(g)$conf.int
  list(name = name, data = deparse(substitute(data)), formula = paste(deparse(formula), collapse = ""),
       term = term, estimate = s[term, "exp(coef)"], conf_low = s[term, "lower .95"],
       conf_high = s[term, "upper .95"], p_value = summary(g)$coefficients[term, "Pr(>|z|)"])
}
doublings <- list(
  doubling("sim_pfs", sim, Surv(pfs_months, pfs_event) ~ log2(nlr_d0), "log2(nlr_d0)"),
  doubling("sim_os_age", sim, Surv(os_months, os_event) ~ log2(nlr_d0) + age, "log2(nlr_d0)"),
  doubling("pbc_bili", pbc, Surv(time, death) ~ log2(bili) + age, "log2(bili)")
)

writeLines(toJSON(list(r_version = R.version.string, rms = as.character(packageVersion("rms")),
                       survival = as.character(packageVersion("survival")), cases = cases,
                       doublings = doublings), auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "hr_curve_fixtures.json"))
