# Golden values for survfit / survdiff / concordance from R's survival package, on R's own data sets.
# Run from the repository root:  Rscript tests/r/km_fixtures.R
# Writes the data sets to tests/fixtures/km_<name>.csv and R's results to tests/fixtures/km_fixtures.json;
# the Python tests (tests/test_km_r.py, tests/test_logrank_r.py, tests/test_concordance_r.py) read these
# files and never call R. Status columns are written as 0/1 (`event`) beside R's own coding, so these
# fixtures do not depend on the status recoding of the formula layer.
suppressPackageStartupMessages({library(jsonlite); library(survival)})
stopifnot(packageVersion("survival") >= "3.5")
set.seed(20240611)

num <- function(v) {
  if (is.null(v) || length(v) == 0) return(list())
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
fx <- function(name) file.path("tests", "fixtures", paste0("km_", name, ".csv"))

## data sets (R's survival package), columns renamed without dots --------------------------------
sets <- list(
  # w: whole-number case weights (survfit's Greenwood variance); fw: fractional ones (concordance)
  lung = with(lung, data.frame(time, event = status - 1, sex, age, ph_ecog = ph.ecog, inst,
                               w = sample(1:3, nrow(lung), TRUE), fw = round(runif(nrow(lung), 0.2, 3), 2))),
  pbc = with(pbc, data.frame(time, event = as.integer(status == 2), trt, age, bili, edema, sex = as.character(sex))),
  colon = with(colon[colon$etype == 2, ], data.frame(time, status, rx = as.character(rx), sex, age, nodes)),
  ovarian = with(ovarian, data.frame(futime, fustat, rx, age, resid_ds = resid.ds, ecog_ps = ecog.ps)),
  veteran = with(veteran, data.frame(time, status, trt, celltype = as.character(celltype), karno, age)),
  aml = with(aml, data.frame(time, status, x = as.character(x))),
  gbsg = with(gbsg, data.frame(rfstime, status, hormon, age, nodes, size, grade)),
  mgus2 = with(mgus2, data.frame(futime, death, sex = as.character(sex), age, hgb, creat)),
  # hand-made: stratum s = "B" has no events; group "z" has no events at all
  empty = data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 8, 3, 5),
                     event = c(1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0),
                     g = c("a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "z", "z"),
                     s = c(rep("A", 8), rep("B", 4), "A", "A")),
  censored = data.frame(time = c(1, 2, 3, 4, 5, 6), event = 0, g = c("a", "a", "b", "b", "c", "c"))
)
for (nm in names(sets)) write.csv(sets[[nm]], fx(nm), row.names = FALSE, na = "")
# analyse the data as read back from the CSV files, so Python and R see identical numbers and levels
D <- lapply(setNames(names(sets), names(sets)), function(nm) read.csv(fx(nm), stringsAsFactors = FALSE, na.strings = c("", "NA")))

## survfit -----------------------------------------------------------------------------------------
curve <- function(f) {
  list(strata = if (is.null(f$strata)) rep("", length(f$time)) else rep(names(f$strata), f$strata),
       time = num(f$time), n_risk = num(f$n.risk), n_event = num(f$n.event), n_censor = num(f$n.censor),
       estimate = num(f$surv), std_error = num(f$std.err), conf_low = num(f$lower), conf_high = num(f$upper),
       cumhaz = num(f$cumhaz), std_chaz = num(f$std.chaz))
}
table_of <- function(tab) {
  if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
  out <- lapply(colnames(tab), function(cn) num(tab[, cn]))
  names(out) <- colnames(tab)
  out$strata <- if (is.null(rownames(tab))) list("") else rownames(tab)
  out
}
summ <- function(s) {
  list(strata = if (is.null(s$strata)) rep("", length(s$time)) else as.character(s$strata),
       time = num(s$time), n_risk = num(s$n.risk), n_event = num(s$n.event), n_censor = num(s$n.censor),
       estimate = num(s$surv), std_error = num(s$std.err), conf_low = num(s$lower), conf_high = num(s$upper),
       cumhaz = num(s$cumhaz), std_chaz = num(s$std.chaz))
}
quant <- function(f, probs) {
  q <- quantile(f, probs = probs, conf.int = !is.null(f$lower))
  m <- function(x) { if (is.null(dim(x))) x <- matrix(x, nrow = 1); lapply(seq_len(nrow(x)), function(i) num(x[i, ])) }
  if (is.list(q)) list(quantile = m(q$quantile), lower = m(q$lower), upper = m(q$upper))
  else list(quantile = m(q))
}

km_case <- function(ds, formula, conf_type = "log", conf_level = 0.95, stype = 1, ctype = 1, times = NULL,
                    probs = c(0.1, 0.25, 0.5, 0.75, 0.9), rmean = NULL, extend = FALSE, weights = NULL) {
  dd <- D[[ds]]
  dd$.w <- if (is.null(weights)) 1 else dd[[weights]]
  f <- survfit(as.formula(formula), data = dd, conf.type = conf_type, conf.int = conf_level,
               stype = stype, ctype = ctype, weights = if (is.null(weights)) NULL else .w)
  out <- list(dataset = ds, call = "survfit", formula = formula, conf_type = conf_type, conf_level = conf_level,
              stype = stype, ctype = ctype, weights = weights, n = num(f$n),
              strata_labels = if (is.null(f$strata)) list() else names(f$strata),
              tidy = curve(f), table = table_of(summary(f)$table), probs = probs, quantile = quant(f, probs),
              events = summ(summary(f)))
  # rmean as print(fit, rmean = ) computes it: "common" (R's rule when a restricted mean is shown),
  # "individual", and a fixed upper limit
  out$rmean <- lapply(c(list("common", "individual"), as.list(rmean)), function(r) {
    sm <- survival:::survmean(f, rmean = r)
    list(rule = r, end_time = num(sm$end.time), columns = table_of(sm$matrix))
  })
  if (!is.null(times)) {
    out$times <- times
    out$extend <- extend
    out$at <- summ(summary(f, times = times, extend = extend))
  }
  out
}

## survdiff ----------------------------------------------------------------------------------------
diff_case <- function(ds, formula, rho = 0) {
  w <- character(0)
  d <- withCallingHandlers(survdiff(as.formula(formula), data = D[[ds]], rho = rho),
                           warning = function(m) { w <<- c(w, conditionMessage(m)); invokeRestart("muffleWarning") })
  o <- if (is.matrix(d$obs)) rowSums(d$obs) else d$obs
  e <- if (is.matrix(d$exp)) rowSums(d$exp) else d$exp
  df <- sum(e > 0) - 1
  list(dataset = ds, call = "survdiff", formula = formula, rho = rho, statistic = d$chisq, df = df,
       p_value = num(suppressWarnings(pchisq(d$chisq, df, lower.tail = FALSE))), warnings = w,
       var = num(d$var),
       groups = list(strata = names(d$n), n = num(d$n), observed = num(o), expected = num(e),
                     o_e_sq_e = num((o - e)^2 / e), o_e_sq_v = num((o - e)^2 / diag(d$var))))
}

## concordance -------------------------------------------------------------------------------------
conc_out <- function(cf) {
  cnt <- cf$count
  if (is.matrix(cnt) && nrow(cnt) > 1 && is.null(rownames(cnt))) cnt <- colSums(cnt)
  v <- cf$var
  list(concordance = num(cf$concordance), var = num(v), std_error = num(sqrt(if (is.matrix(v)) diag(v) else v)),
       count = if (is.matrix(cnt)) lapply(seq_len(nrow(cnt)), function(i) num(cnt[i, ])) else list(num(cnt)),
       n = cf$n)
}
conc_case <- function(ds, formula, timewt = "n", reverse = FALSE, weights = NULL) {
  dd <- D[[ds]]
  dd$.w <- if (is.null(weights)) 1 else dd[[weights]]
  cf <- concordance(as.formula(formula), data = dd, timewt = timewt, reverse = reverse,
                    weights = if (is.null(weights)) NULL else .w)
  c(list(dataset = ds, call = "concordance", formula = formula, timewt = timewt, reverse = reverse,
         weights = weights), conc_out(cf))
}
# several predictors: what R's concordance(fit1, fit2, ...) computes (cord.work): one concordancefit per
# predictor with influence = 1, the covariance matrix from the cross-products of their dfbeta
conc_multi <- function(ds, surv, terms, timewt = "n", reverse = FALSE) {
  dd <- na.omit(D[[ds]][, c(all.vars(as.formula(paste(surv, "~ 1"))), terms)])
  y <- eval(parse(text = surv), dd)
  fits <- lapply(terms, function(v) concordancefit(y, dd[[v]], timewt = timewt, reverse = reverse, influence = 1))
  dfbeta <- sapply(fits, function(f) f$dfbeta)
  cf <- list(concordance = sapply(fits, function(f) f$concordance), var = crossprod(dfbeta),
             count = do.call(rbind, lapply(fits, function(f) f$count)), n = fits[[1]]$n)
  rownames(cf$count) <- terms
  c(list(dataset = ds, call = "concordance_multi", formula = paste(surv, "~", paste(terms, collapse = " + ")),
         terms = terms, timewt = timewt, reverse = reverse), conc_out(cf))
}
conc_cox <- function(ds, formulas, timewt = "n") {
  fits <- lapply(formulas, function(f) coxph(as.formula(f), data = D[[ds]]))
  cf <- do.call(concordance, c(fits, list(timewt = timewt)))
  c(list(dataset = ds, call = "concordance_coxph", formulas = formulas, timewt = timewt), conc_out(cf))
}

cases <- list(
  km_case("lung", "Surv(time, event) ~ sex", times = c(0, 100, 365, 500, 730, 1000), rmean = 800),
  km_case("lung", "Surv(time, event) ~ 1", times = c(30, 182.5, 365, 1022, 2000), extend = TRUE),
  km_case("lung", "Surv(time, event) ~ 1", conf_type = "log-log"),
  km_case("lung", "Surv(time, event) ~ 1", conf_type = "plain", conf_level = 0.9),
  km_case("lung", "Surv(time, event) ~ 1", conf_type = "logit"),
  km_case("lung", "Surv(time, event) ~ 1", conf_type = "arcsin"),
  km_case("lung", "Surv(time, event) ~ 1", conf_type = "none"),
  km_case("lung", "Surv(time, event) ~ sex + ph_ecog", conf_type = "logit"),
  km_case("pbc", "Surv(time, event) ~ trt", times = c(365, 1825, 3650)),
  km_case("pbc", "Surv(time, event) ~ sex", conf_type = "arcsin", conf_level = 0.99),
  km_case("colon", "Surv(time, status) ~ rx", times = c(500, 1000, 2000, 3000), rmean = 2500),
  km_case("colon", "Surv(time, status) ~ rx + strata(sex)"),
  km_case("ovarian", "Surv(futime, fustat) ~ rx", stype = 2),
  km_case("ovarian", "Surv(futime, fustat) ~ rx", stype = 2, ctype = 2),
  km_case("ovarian", "Surv(futime, fustat) ~ 1", ctype = 2, conf_type = "log-log"),
  km_case("veteran", "Surv(time, status) ~ celltype", times = c(30, 90, 180, 365)),
  km_case("veteran", "Surv(time, status) ~ trt", stype = 2, conf_type = "plain"),
  km_case("aml", "Surv(time, status) ~ x", times = c(10, 20, 40, 200), extend = TRUE),
  km_case("aml", "Surv(time, status) ~ x", conf_type = "logit", ctype = 2),
  km_case("gbsg", "Surv(rfstime, status) ~ hormon", times = c(365, 730, 1825), rmean = 2000),
  km_case("gbsg", "Surv(rfstime, status) ~ grade", conf_type = "log-log"),
  km_case("mgus2", "Surv(futime, death) ~ sex", times = c(12, 60, 120, 240)),
  km_case("mgus2", "Surv(futime, death) ~ 1", stype = 2, ctype = 2, conf_type = "arcsin"),
  km_case("lung", "Surv(time, event) ~ sex", weights = "w", times = c(100, 365, 730)),
  km_case("lung", "Surv(time, event) ~ sex", weights = "w", stype = 2, ctype = 2, conf_type = "log-log"),
  km_case("lung", "Surv(time, event) ~ 1", weights = "w", ctype = 2),
  km_case("empty", "Surv(time, event) ~ g"),
  km_case("empty", "Surv(time, event) ~ g + strata(s)", times = c(2, 5, 9)),
  km_case("censored", "Surv(time, event) ~ g"),

  diff_case("lung", "Surv(time, event) ~ sex"),
  diff_case("lung", "Surv(time, event) ~ sex", rho = 1),
  diff_case("lung", "Surv(time, event) ~ ph_ecog + strata(sex)", rho = 0.5),
  diff_case("pbc", "Surv(time, event) ~ trt"),
  diff_case("colon", "Surv(time, status) ~ rx"),
  diff_case("colon", "Surv(time, status) ~ rx + strata(sex)", rho = 1),
  diff_case("ovarian", "Surv(futime, fustat) ~ rx", rho = 2),
  diff_case("veteran", "Surv(time, status) ~ celltype"),
  diff_case("veteran", "Surv(time, status) ~ celltype + strata(trt)", rho = 0.5),
  diff_case("aml", "Surv(time, status) ~ x"),
  diff_case("gbsg", "Surv(rfstime, status) ~ grade", rho = 1),
  diff_case("mgus2", "Surv(futime, death) ~ sex"),
  diff_case("empty", "Surv(time, event) ~ g"),
  diff_case("empty", "Surv(time, event) ~ g + strata(s)"),
  diff_case("empty", "Surv(time, event) ~ g + strata(s)", rho = 1),
  diff_case("empty", "Surv(time, event) ~ g + strata(s)", rho = 0.5),
  diff_case("empty", "Surv(time, event) ~ g + strata(s)", rho = -1),
  diff_case("censored", "Surv(time, event) ~ g"),
  diff_case("censored", "Surv(time, event) ~ g", rho = 1),

  conc_case("lung", "Surv(time, event) ~ age"),
  conc_case("lung", "Surv(time, event) ~ age", reverse = TRUE),
  conc_case("lung", "Surv(time, event) ~ age", timewt = "S"),
  conc_case("lung", "Surv(time, event) ~ age", timewt = "S/G"),
  conc_case("lung", "Surv(time, event) ~ age", timewt = "n/G2"),
  conc_case("lung", "Surv(time, event) ~ age", timewt = "I"),
  conc_case("lung", "Surv(time, event) ~ ph_ecog + strata(sex)"),
  conc_case("lung", "Surv(time, event) ~ age", weights = "fw"),
  conc_case("lung", "Surv(time, event) ~ age", weights = "w", timewt = "n/G2"),
  conc_case("lung", "Surv(time, event) ~ ph_ecog + strata(sex)", weights = "fw", timewt = "S/G", reverse = TRUE),
  conc_case("lung", "Surv(time, event) ~ ph_ecog + strata(sex)", timewt = "n/G2"),
  conc_case("pbc", "Surv(time, event) ~ bili", reverse = TRUE),
  conc_case("pbc", "Surv(time, event) ~ bili", timewt = "S/G", reverse = TRUE),
  conc_case("colon", "Surv(time, status) ~ nodes", timewt = "n/G2", reverse = TRUE),
  conc_case("colon", "Surv(time, status) ~ nodes", timewt = "S"),
  conc_case("ovarian", "Surv(futime, fustat) ~ age", timewt = "I"),
  conc_case("veteran", "Surv(time, status) ~ karno"),
  conc_case("veteran", "Surv(time, status) ~ karno + strata(celltype)", timewt = "S/G"),
  conc_case("aml", "Surv(time, status) ~ x", timewt = "n/G2"),
  conc_case("gbsg", "Surv(rfstime, status) ~ nodes", timewt = "n/G2", reverse = TRUE),
  conc_case("gbsg", "Surv(rfstime, status) ~ size", timewt = "I", reverse = TRUE),
  conc_case("mgus2", "Surv(futime, death) ~ age", reverse = TRUE),
  conc_case("mgus2", "Surv(futime, death) ~ hgb", timewt = "S"),
  conc_multi("lung", "Surv(time, event)", c("age", "ph_ecog")),
  conc_multi("gbsg", "Surv(rfstime, status)", c("nodes", "size", "grade"), timewt = "n/G2", reverse = TRUE),
  conc_cox("lung", list("Surv(time, event) ~ age + sex")),
  conc_cox("lung", list("Surv(time, event) ~ age + sex"), timewt = "n/G2"),
  conc_cox("lung", list("Surv(time, event) ~ age + sex + strata(inst)")),
  conc_cox("gbsg", list("Surv(rfstime, status) ~ nodes + hormon", "Surv(rfstime, status) ~ size + grade"),
           timewt = "S/G"),
  conc_cox("veteran", list("Surv(time, status) ~ karno + celltype"), timewt = "I")
)
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           file.path("tests", "fixtures", "km_fixtures.json"))
cat("wrote", length(cases), "cases\n")
