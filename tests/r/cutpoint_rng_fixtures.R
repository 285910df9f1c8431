# Golden values for pROC 1.18's bootstrap and the rest of its surface that nlrstats.stats.cutpoint
# ports: ci.auc(method = "bootstrap"), partial AUC, coords(best.method = "closest.topleft"),
# ci.thresholds, ci.coords, roc.test (DeLong unpaired, bootstrap paired / unpaired).
# Every bootstrap follows set.seed() (R 4.2, default RNGkind). Run from the repository root
# after tests/r/cutpoint_fixtures.R (which writes the data files):
#   Rscript tests/r/cutpoint_rng_fixtures.R
# Writes tests/fixtures/cutpoint_rng.json; the Python tests read it and never call R.
suppressPackageStartupMessages({library(pROC); library(jsonlite)})
stopifnot(packageVersion("pROC") == "1.18.0")
exact <- function(x) if (is.list(x)) lapply(x, exact) else if (is.double(x)) sprintf("%.17g", x) else x
fx <- "tests/fixtures"
cont <- read.csv(file.path(fx, "cutpoint_data_cont.csv"))
nlr13 <- read.csv(file.path(fx, "cutpoint_data_nlr13.csv"))
ties <- read.csv(file.path(fx, "cutpoint_data_ties.csv"))
fk <- read.csv("data/fukuda2020_reconstructed.csv")
fk$nlr <- fk$neutrophils_d0 / fk$lymphocytes_d0
fk$plr <- fk$platelets_d0 / fk$lymphocytes_d0
fk$dc <- as.integer(fk$best_response %in% c("CR", "PR", "SD"))
ties$case <- as.integer(ties$marker > 6 & ties$event == 1)
datasets <- list(cont = cont, nlr13 = nlr13, ties = ties, fukuda = fk)
curve <- function(d, y, x, ...) roc(datasets[[d]][[y]], datasets[[d]][[x]], quiet = TRUE, ...)

## ci.auc by bootstrap ---------------------------------------------------------------------------
ci_cases <- list()
add_ci <- function(d, y, x, seed, boot.n = 2000L, stratified = TRUE, partial = NULL, focus = "specificity",
                   correct = FALSE, direction = "auto") {
  r <- if (is.null(partial)) curve(d, y, x, direction = direction) else
    curve(d, y, x, direction = direction, partial.auc = partial, partial.auc.focus = focus,
          partial.auc.correct = correct)
  set.seed(seed)
  ci <- suppressWarnings(ci.auc(r, method = "bootstrap", boot.n = boot.n, boot.stratified = stratified))
  ci_cases[[length(ci_cases) + 1]] <<- list(data = d, outcome = y, marker = x, seed = seed, boot_n = boot.n,
    stratified = stratified, partial = partial, focus = focus, correct = correct, direction = direction,
    auc = as.numeric(r$auc), ci = as.numeric(ci), random_seed_after = .Random.seed[1:3])
}
add_ci("cont", "dc", "marker", 1L)
add_ci("cont", "dc", "marker", 2L, boot.n = 500L, stratified = FALSE)
add_ci("nlr13", "dc", "nlr", 3L)
add_ci("nlr13", "dc", "plr", 4L, boot.n = 700L)
add_ci("ties", "case", "marker", 11L, boot.n = 500L, stratified = FALSE)
add_ci("fukuda", "dc", "nlr", 5L)
add_ci("ties", "case", "marker", 6L, boot.n = 1000L)
add_ci("cont", "dc", "marker", 7L, boot.n = 1000L, partial = c(1, 0.8))
add_ci("cont", "dc", "marker", 8L, boot.n = 1000L, partial = c(1, 0.9), focus = "sensitivity", correct = TRUE)
add_ci("ties", "case", "marker", 9L, boot.n = 800L, partial = c(0.95, 0.7), correct = TRUE)
add_ci("cont", "dc", "marker", 10L, boot.n = 600L, direction = "<")

## partial AUC without bootstrap --------------------------------------------------------------------
pauc <- list()
for (d in list(c("cont", "dc", "marker"), c("ties", "case", "marker"), c("nlr13", "dc", "nlr"),
               c("fukuda", "dc", "plr"))) for (p in list(c(1, 0.8), c(0.9, 0.6), c(0.8, 0.79))) {
  for (focus in c("specificity", "sensitivity")) for (correct in c(FALSE, TRUE)) {
    r <- curve(d[1], d[2], d[3])
    a <- suppressWarnings(auc(r, partial.auc = p, partial.auc.focus = focus, partial.auc.correct = correct))
    pauc[[length(pauc) + 1]] <- list(data = d[1], outcome = d[2], marker = d[3], partial = p, focus = focus,
                                     correct = correct, auc = if (is.na(a)) NULL else as.numeric(a))
  }
}

## coords ------------------------------------------------------------------------------------------
crd <- list()
for (d in list(c("cont", "dc", "marker"), c("ties", "case", "marker"), c("nlr13", "dc", "nlr"),
               c("nlr13", "dc", "plr"), c("fukuda", "dc", "nlr"))) {
  r <- curve(d[1], d[2], d[3])
  for (bm in c("youden", "closest.topleft")) for (w in list(c(1, 0.5), c(2, 0.3))) {
    b <- coords(r, "best", best.method = bm, best.weights = w, ret = c("threshold", "specificity", "sensitivity"))
    crd[[length(crd) + 1]] <- list(data = d[1], outcome = d[2], marker = d[3], x = "best", best_method = bm,
                                   weights = w, threshold = b$threshold, specificity = b$specificity,
                                   sensitivity = b$sensitivity)
  }
  lm <- coords(r, "local maximas")
  crd[[length(crd) + 1]] <- list(data = d[1], outcome = d[2], marker = d[3], x = "local maximas",
                                 threshold = lm$threshold, specificity = lm$specificity, sensitivity = lm$sensitivity)
}

## ci.thresholds and ci.coords -----------------------------------------------------------------------
cthr <- list()
r <- curve("cont", "dc", "marker")
set.seed(21); ct <- ci.thresholds(r, thresholds = c(3, 5, 8), boot.n = 500)
cthr[[1]] <- list(data = "cont", outcome = "dc", marker = "marker", seed = 21L, boot_n = 500L, stratified = TRUE,
                  thresholds = c(3, 5, 8), sp = unclass(ct$specificity), se = unclass(ct$sensitivity))
r <- curve("nlr13", "dc", "nlr")
set.seed(22); ct <- ci.thresholds(r, boot.n = 400)
cthr[[2]] <- list(data = "nlr13", outcome = "dc", marker = "nlr", seed = 22L, boot_n = 400L, stratified = TRUE,
                  thresholds = "local maximas", thr = as.numeric(attr(ct, "thresholds")),
                  sp = unclass(ct$specificity), se = unclass(ct$sensitivity))
r <- curve("cont", "dc", "marker")
set.seed(26); ct <- ci.thresholds(r, thresholds = c(2.5, 4), boot.n = 300, boot.stratified = FALSE)
cthr[[3]] <- list(data = "cont", outcome = "dc", marker = "marker", seed = 26L, boot_n = 300L, stratified = FALSE,
                  thresholds = c(2.5, 4), sp = unclass(ct$specificity), se = unclass(ct$sensitivity))
ccrd <- list()
r <- curve("cont", "dc", "marker")
set.seed(23); cc <- ci.coords(r, x = "best", best.policy = "random", boot.n = 300)
ccrd[[1]] <- list(data = "cont", outcome = "dc", marker = "marker", seed = 23L, boot_n = 300L, x = "best",
                  policy = "random", threshold = as.numeric(cc$threshold), specificity = as.numeric(cc$specificity),
                  sensitivity = as.numeric(cc$sensitivity))
set.seed(24); cc <- suppressWarnings(ci.coords(r, x = "best", best.policy = "omit", boot.n = 300))
ccrd[[2]] <- list(data = "cont", outcome = "dc", marker = "marker", seed = 24L, boot_n = 300L, x = "best",
                  policy = "omit", threshold = as.numeric(cc$threshold), specificity = as.numeric(cc$specificity),
                  sensitivity = as.numeric(cc$sensitivity))
set.seed(25); cc <- ci.coords(r, x = 5, input = "threshold", boot.n = 300)
ccrd[[3]] <- list(data = "cont", outcome = "dc", marker = "marker", seed = 25L, boot_n = 300L, x = 5,
                  policy = "stop", threshold = as.numeric(cc$threshold), specificity = as.numeric(cc$specificity),
                  sensitivity = as.numeric(cc$sensitivity))

## roc.test ---------------------------------------------------------------------------------------------
tst <- list()
add_t <- function(name, r1, r2, seed = NULL, ...) {
  if (!is.null(seed)) set.seed(seed)
  t <- suppressWarnings(roc.test(r1, r2, ...))
  tst[[length(tst) + 1]] <<- list(name = name, seed = seed, statistic = unname(t$statistic),
    parameter = unname(t$parameter), p_value = t$p.value, estimate = unname(t$estimate),
    conf_int = if (is.null(t$conf.int)) NULL else as.numeric(t$conf.int), method = t$method)
}
r1 <- curve("cont", "dc", "marker"); r2 <- curve("cont", "dc", "marker2")
add_t("cont_boot_paired", r1, r2, 31L, method = "bootstrap", boot.n = 500)
add_t("cont_boot_paired_ns", r1, r2, 32L, method = "bootstrap", boot.n = 400, boot.stratified = FALSE)
add_t("cont_delong_greater", r1, r2, alternative = "greater")
h1 <- cont[1:70, ]; h2 <- cont[71:150, ]
u1 <- roc(h1$dc, h1$marker, quiet = TRUE); u2 <- roc(h2$dc, h2$marker2, quiet = TRUE)
add_t("halves_delong_unpaired", u1, u2)
add_t("halves_boot_unpaired", u1, u2, 33L, method = "bootstrap", boot.n = 500)
add_t("halves_boot_unpaired_ns", u1, u2, 34L, method = "bootstrap", boot.n = 300, boot.stratified = FALSE)
n1 <- curve("nlr13", "dc", "nlr"); n2 <- curve("nlr13", "dc", "plr")
add_t("nlr13_boot_paired", n1, n2, 35L, method = "bootstrap", boot.n = 1000)
nna <- nlr13; nna$plr[c(2, 9)] <- NA
add_t("nlr13_repaired_delong", roc(nna$dc, nna$nlr, quiet = TRUE), roc(nna$dc, nna$plr, quiet = TRUE))
p1 <- curve("cont", "dc", "marker", partial.auc = c(1, 0.8)); p2 <- curve("cont", "dc", "marker2", partial.auc = c(1, 0.8))
add_t("cont_partial_boot", p1, p2, 36L, boot.n = 300)

writeLines(toJSON(exact(list(ci_auc = ci_cases, partial_auc = pauc, coords = crd, ci_thresholds = cthr,
                             ci_coords = ccrd, roc_test = tst)),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           file.path(fx, "cutpoint_rng.json"))
cat("wrote cutpoint_rng.json\n")
