# Golden values for nlrstats.stats.meta (nlrstats.rma) from R's metafor package (3.8).
# Run from the repository root:  Rscript tests/r/meta_fixtures.R
# Writes the data sets to tests/fixtures/meta_<name>.csv and metafor's results to
# tests/fixtures/meta_fixtures.json; the Python tests read these files and never call R.
suppressPackageStartupMessages({library(jsonlite); library(metafor)})
stopifnot(packageVersion("metafor") >= "3.8")
set.seed(20200916)

num <- function(v) {
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
fx <- function(name) file.path("tests", "fixtures", paste0("meta_", name, ".csv"))
z975 <- qnorm(0.975)

## data sets ---------------------------------------------------------------
# log risk ratios of the BCG trials (metafor's dat.bcg): k = 13, strongly heterogeneous
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(data.frame(label = paste(bcg$author, bcg$year), yi = sprintf("%.17g", bcg$yi),
                     sei = sprintf("%.17g", sqrt(bcg$vi))), fx("bcg"), row.names = FALSE)
# published hazard ratios of a high NLR with their 95% CIs, as papers print them (2 decimals)
published <- data.frame(
  label = c("Fukuda 2020", "Cohort B 2019", "Cohort C 2021", "Cohort D 2018", "Cohort E 2022", "Cohort F 2017"),
  hr = c(3.95, 2.10, 1.62, 2.85, 1.25, 4.40),
  conf_low = c(1.05, 1.30, 1.10, 1.40, 0.80, 1.70),
  conf_high = c(14.90, 3.39, 2.38, 5.80, 1.95, 11.40))
write.csv(published, fx("published"), row.names = FALSE)
# two studies
k2 <- data.frame(label = c("Site 1", "Site 2"), hr = c(2.10, 1.60), conf_low = c(1.20, 0.90),
                 conf_high = c(3.70, 2.80))
write.csv(k2, fx("k2"), row.names = FALSE)
# two studies that disagree (tau^2 > 0 from k = 2)
k2het <- data.frame(label = c("Kyoto", "Osaka"), hr = c(3.50, 1.10), conf_low = c(2.20, 0.80),
                    conf_high = c(5.60, 1.50))
write.csv(k2het, fx("k2het"), row.names = FALSE)
# homogeneous: Q < k - 1, so REML and DL estimate tau^2 = 0 (the boundary)
homog <- data.frame(label = paste("Study", 1:5), yi = c(0.40, 0.45, 0.38, 0.52, 0.43),
                    sei = c(0.30, 0.25, 0.40, 0.35, 0.28))
write.csv(homog, fx("homog"), row.names = FALSE)
# simulated heterogeneous log hazard ratios: tau = 0.5, mixed precision
k <- 9
sei <- round(runif(k, 0.08, 0.6), 4)
sim <- data.frame(label = paste("Trial", LETTERS[1:k]),
                  yi = round(rnorm(k, 0.6, sqrt(0.25 + sei^2)), 4), sei = sei)
write.csv(sim, fx("sim"), row.names = FALSE)
# one very precise study among imprecise ones (REML and DL differ much)
prec <- data.frame(label = c("Registry", "Small 1", "Small 2", "Small 3"), yi = c(0.10, 0.90, 1.30, -0.20),
                   sei = c(0.03, 0.45, 0.60, 0.50))
write.csv(prec, fx("prec"), row.names = FALSE)

# Analyse the data as read back from the CSV files, so Python and R see identical numbers.
read_set <- function(nm) {
  d <- read.csv(fx(nm), stringsAsFactors = FALSE)
  if (is.null(d$yi)) {
    d$yi <- log(d$hr)
    d$sei <- (log(d$conf_high) - log(d$conf_low)) / (2 * z975)
  }
  d
}
sets <- c("bcg", "published", "k2", "k2het", "homog", "sim", "prec")
data_sets <- setNames(lapply(sets, read_set), sets)

## results ------------------------------------------------------------------
rma_case <- function(ds, method, test) {
  d <- data_sets[[ds]]
  fit <- if (method == "FE" && test == "knha") {
    suppressWarnings(rma(yi = d$yi, sei = d$sei, method = method, test = test))
  } else {
    rma(yi = d$yi, sei = d$sei, method = method, test = test)
  }
  pr <- predict(fit)
  pr_riley <- predict(fit, pi.type = "riley")
  pr_t <- predict(fit, pi.type = "t")
  ll <- if (method == "REML") fit$fit.stats["ll", "REML"] else fit$fit.stats["ll", "ML"]
  list(dataset = ds, method = method, test = test,
       k = fit$k, estimate = c(fit$beta), std_error = fit$se, statistic = fit$zval, p_value = fit$pval,
       conf_low = fit$ci.lb, conf_high = fit$ci.ub, df = if (is.na(fit$ddf)) NULL else fit$ddf,
       tau2 = fit$tau2, se_tau2 = if (is.na(fit$se.tau2)) NULL else fit$se.tau2,
       i2 = fit$I2, h2 = fit$H2, q = fit$QE, q_p_value = fit$QEp, loglik = ll,
       pi_low = pr$pi.lb, pi_high = pr$pi.ub,
       pi_low_riley = pr_riley$pi.lb, pi_high_riley = pr_riley$pi.ub,
       pi_low_t = pr_t$pi.lb, pi_high_t = pr_t$pi.ub,
       weights = num(weights(fit)), yi = num(d$yi), sei = num(d$sei))
}

cases <- list()
for (ds in sets) for (method in c("REML", "DL", "FE")) for (test in c("z", "knha")) {
  cases[[length(cases) + 1]] <- rma_case(ds, method, test)
}
# where metafor's Fisher scoring does not converge it stops with an error; so must we
nonconv <- tryCatch(rma(yi = c(0, 0, 0, 0, 1), sei = c(1, 1, 1, 1, 0.25)), error = function(e) conditionMessage(e))
stopifnot(is.character(nonconv))
cases[[length(cases) + 1]] <- list(dataset = "nonconv", method = "REML", test = "z", yi = c(0, 0, 0, 0, 1),
                                   sei = c(1, 1, 1, 1, 0.25), error = nonconv)
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "meta_fixtures.json"))
cat("wrote", length(cases), "cases\n")
