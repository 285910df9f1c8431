# Golden values on grids for the p-values that sum probabilities (issue 14: R clamps them to
# [0, 1]) and for the parts of R's surface added with them: fisher.test on every 2 x 2 table with
# cells 0..10, binom.test and the exact Wilcoxon tests on grids, chisq.test goodness of fit, the
# formula interfaces of wilcox.test / kruskal.test, and fisher.test r x c on small grids.
# Run from the repository root:  Rscript tests/r/htest_grid_fixtures.R
# Writes tests/fixtures/htest_grid.json; the Python tests read it and never call R.
suppressPackageStartupMessages(library(jsonlite))
set.seed(20261201)
exact <- function(x) if (is.list(x)) lapply(x, exact) else if (is.double(x)) sprintf("%.17g", x) else x

## Fisher 2 x 2: all tables with cells 0..10 (margins may be zero: R then returns p = 1) ----------
g <- expand.grid(a = 0:10, b = 0:10, c = 0:10, d = 0:10)
g <- g[rowSums(g) > 0, ]
p2 <- apply(g, 1, function(v) fisher.test(matrix(v, 2, byrow = TRUE), conf.int = FALSE)$p.value)
small <- expand.grid(a = 0:5, b = 0:5, c = 0:5, d = 0:5)
small <- small[rowSums(small) > 0, ]
pless <- apply(small, 1, function(v) fisher.test(matrix(v, 2, byrow = TRUE), alternative = "less", conf.int = FALSE)$p.value)
pgreat <- apply(small, 1, function(v) fisher.test(matrix(v, 2, byrow = TRUE), alternative = "greater", conf.int = FALSE)$p.value)

## binomial: every x for n in 1..40, p in a grid ----------------------------------------------------
bg <- do.call(rbind, lapply(1:40, function(n) expand.grid(x = 0:n, n = n, p = c(0.05, 0.2, 1/3, 0.5, 0.77))))
bp <- apply(bg, 1, function(v) binom.test(v[1], v[2], p = v[3])$p.value)

## exact Wilcoxon: rank-sum p for every W of small samples, signed-rank p for every V ---------------
wg <- do.call(rbind, lapply(list(c(3, 4), c(5, 5), c(7, 10), c(12, 9), c(20, 25)), function(s)
  data.frame(m = s[1], n = s[2], q = 0:(s[1] * s[2]))))
wp <- mapply(function(q, m, n) min(1, 2 * min(pwilcox(q, m, n), pwilcox(q - 1, m, n, lower.tail = FALSE))),
             wg$q, wg$m, wg$n)
# through wilcox.test on data with no ties: x = ranks chosen to give each W
wt <- list()
for (i in 1:60) {
  m <- sample(2:15, 1); n <- sample(2:15, 1)
  v <- sample(1:(m + n)) + runif(1) / 10
  h <- wilcox.test(v[1:m], v[(m + 1):(m + n)], alternative = sample(c("two.sided", "less", "greater"), 1))
  wt[[i]] <- list(x = v[1:m], y = v[(m + 1):(m + n)], alternative = h$alternative, p_value = h$p.value,
                  statistic = unname(h$statistic))
}
st <- list()
for (i in 1:40) {
  n <- sample(1:30, 1)
  d <- (sample(1:n) + runif(1) / 10) * sample(c(-1, 1), n, replace = TRUE)
  h <- wilcox.test(d, alternative = sample(c("two.sided", "less", "greater"), 1))
  st[[i]] <- list(x = d, alternative = h$alternative, p_value = h$p.value, statistic = unname(h$statistic))
}

## Fisher r x c: random small tables ---------------------------------------------------------------
rc <- list()
for (i in 1:60) {
  nr <- sample(2:4, 1); nc <- sample(2:4, 1)
  if (nr == 2 && nc == 2) nc <- 3
  t <- matrix(rpois(nr * nc, sample(c(0.7, 1.5, 3), 1)), nr)
  if (sum(t) == 0) t[1, 1] <- 1
  rc[[i]] <- list(table = lapply(seq_len(nr), function(k) t[k, ]), p_value = fisher.test(t)$p.value)
}

## chisq.test goodness of fit ----------------------------------------------------------------------
gof <- list()
add_gof <- function(x, p = NULL, rescale = FALSE) {
  h <- suppressWarnings(if (is.null(p)) chisq.test(x) else chisq.test(x, p = p, rescale.p = rescale))
  gof[[length(gof) + 1]] <<- list(x = x, p = p, rescale = rescale, statistic = unname(h$statistic),
                                  parameter = unname(h$parameter), p_value = h$p.value, method = h$method)
}
add_gof(c(12, 7, 9, 15, 3)); add_gof(c(30, 20, 50), c(0.3, 0.2, 0.5)); add_gof(c(30, 20, 50), c(3, 2, 5), TRUE)
add_gof(c(0, 5, 10, 2)); add_gof(c(90, 10), c(0.85, 0.15)); add_gof(c(1, 1, 1, 1, 1, 1))
add_gof(c(44, 56)); add_gof(c(120, 300, 280), c(1, 2, 2), TRUE)

## formula interfaces ------------------------------------------------------------------------------
fd <- data.frame(y = c(round(rnorm(20, 10, 3), 1), NA, 4.4), g = c(rep(c("b", "a"), 10), "a", NA),
                 k = c(rep(c("lo", "mid", "hi"), 7), "lo"), z = round(rnorm(22, 0.3), 2), stringsAsFactors = FALSE)
wf <- suppressWarnings(wilcox.test(y ~ g, data = fd))
wf2 <- suppressWarnings(wilcox.test(y ~ g, data = fd, alternative = "less", conf.int = TRUE))
w1 <- wilcox.test(z ~ 1, data = fd)
kf <- kruskal.test(y ~ k, data = fd)
forms <- list(
  list(call = "wilcox y ~ g", statistic = unname(wf$statistic), p_value = wf$p.value, data_name = wf$data.name,
       method = wf$method),
  list(call = "wilcox y ~ g less ci", statistic = unname(wf2$statistic), p_value = wf2$p.value,
       estimate = unname(wf2$estimate), conf_int = as.numeric(wf2$conf.int), data_name = wf2$data.name),
  list(call = "wilcox z ~ 1", statistic = unname(w1$statistic), p_value = w1$p.value, data_name = w1$data.name,
       method = w1$method),
  list(call = "kruskal y ~ k", statistic = unname(kf$statistic), parameter = unname(kf$parameter),
       p_value = kf$p.value, data_name = kf$data.name))

writeLines(toJSON(exact(list(fisher2x2 = list(tables = unname(as.matrix(g)), p_value = unname(p2)),
                             fisher2x2_one_sided = list(tables = unname(as.matrix(small)), less = unname(pless),
                                                        greater = unname(pgreat)),
                             binom = list(x = bg$x, n = bg$n, p = bg$p, p_value = unname(bp)),
                             pwilcox = list(m = wg$m, n = wg$n, q = wg$q, p_value = wp),
                             wilcox_exact = wt, signrank_exact = st, fisher_rxc = rc, gof = gof,
                             formula = forms, formula_data = fd)),
                  auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE),
           file.path("tests", "fixtures", "htest_grid.json"))
cat("wrote", nrow(g), "2 x 2 tables,", length(bp), "binomial cases\n")
