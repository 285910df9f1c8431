# Golden values for maxstat 0.7-25 beyond the log-rank / Lau92 / Lau94 / exactGauss cases of
# tests/r/cutpoint_fixtures.R: the other scores (smethod = "Wilcoxon", "Median", "NormalQuantil",
# "Data"), Hothorn & Lausen's exact bound (pmethod = "HL"), the conditional Monte Carlo
# (pmethod = "condMC", after set.seed) and "min". R 4.2, default RNGkind. Run from the repository
# root after tests/r/cutpoint_fixtures.R (which writes the data files):
#   Rscript tests/r/maxstat_fixtures.R
# Writes tests/fixtures/cutpoint_maxstat_more.json; the Python tests read it and never call R.
suppressPackageStartupMessages({library(maxstat); library(survival); library(jsonlite)})
stopifnot(packageVersion("maxstat") == "0.7.25")
exact <- function(x) if (is.list(x)) lapply(x, exact) else if (is.double(x)) sprintf("%.17g", x) else x
fx <- "tests/fixtures"
data <- list(cont = read.csv(file.path(fx, "cutpoint_data_cont.csv")),
             ties = read.csv(file.path(fx, "cutpoint_data_ties.csv")),
             nlr13 = read.csv(file.path(fx, "cutpoint_data_nlr13.csv")))
fk <- read.csv("data/fukuda2020_reconstructed.csv")
fk$nlr <- fk$neutrophils_d0 / fk$lymphocytes_d0
data$fukuda <- fk
out <- list()
add <- function(d, f, seed = NULL, ...) {
  if (!is.null(seed)) set.seed(seed)
  r <- maxstat.test(as.formula(f), data = data[[d]], ...)
  a <- list(...)
  out[[length(out) + 1]] <<- list(data = d, formula = f, seed = seed, smethod = r$smethod, pmethod = r$pmethod,
    minprop = if (is.null(a$minprop)) 0.1 else a$minprop, maxprop = if (is.null(a$maxprop)) 0.9 else a$maxprop,
    B = a$B, alpha = a$alpha, iscores = a$iscores,
    statistic = unname(r$statistic), estimate = unname(r$estimate), p_value = r$p.value,
    quant = if (is.null(r$quant) || is.na(r$quant)) NULL else r$quant, stats = unname(r$stats),
    cuts = unname(r$cuts))
}
numeric <- list(c("cont", "marker2 ~ marker"), c("ties", "time ~ marker"), c("nlr13", "pfs ~ nlr"),
                c("fukuda", "os_months ~ nlr"))
for (df in numeric) for (sm in c("Wilcoxon", "Median", "NormalQuantil", "Data")) {
  for (pm in c("none", "Lau92", "Lau94")) add(df[1], df[2], smethod = sm, pmethod = pm)
}
add("cont", "marker2 ~ marker", smethod = "Wilcoxon", pmethod = "Lau94", minprop = 0.25, maxprop = 0.75)
# Hothorn & Lausen's exact lower bound (integer scores)
surv <- list(c("nlr13", "Surv(pfs, pfs_event) ~ nlr"), c("ties", "Surv(time, event) ~ marker"),
             c("fukuda", "Surv(pfs_months, pfs_event) ~ nlr"), c("fukuda", "Surv(os_months, os_event) ~ nlr"))
for (df in surv) add(df[1], df[2], smethod = "LogRank", pmethod = "HL")
for (df in numeric[2:4]) for (sm in c("Wilcoxon", "Data")) add(df[1], df[2], smethod = sm, pmethod = "HL")
add("cont", "marker2 ~ marker", smethod = "Wilcoxon", pmethod = "HL")
add("nlr13", "Surv(pfs, pfs_event) ~ nlr", smethod = "LogRank", pmethod = "HL", minprop = 0.25, maxprop = 0.75)
# conditional Monte Carlo, draw for draw
for (df in surv) for (s in c(1L, 2020L)) add(df[1], df[2], seed = s, smethod = "LogRank", pmethod = "condMC", B = 2000)
add("cont", "Surv(time, event) ~ marker", seed = 3L, smethod = "LogRank", pmethod = "condMC")
add("cont", "marker2 ~ marker", seed = 4L, smethod = "Wilcoxon", pmethod = "condMC", B = 3000)
add("ties", "Surv(time, event) ~ marker", seed = 5L, smethod = "LogRank", pmethod = "condMC", B = 4000, alpha = 0.05)
# the smallest of Lau92, Lau94, exactGauss and HL (integer scores, as R requires for "min")
for (df in surv[1:2]) {
  set.seed(6)
  add(df[1], df[2], smethod = "LogRank", pmethod = "min", iscores = TRUE)
}
writeLines(toJSON(exact(out), auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           file.path(fx, "cutpoint_maxstat_more.json"))
cat("wrote", length(out), "cases\n")
