# Golden values for nlrstats.stats.distributions: R's own d/p/q functions on grids that reach far
# into the tails (large n, probabilities near 1e-40), where a difference of log-gammas or a
# complement 1 - cdf would lose digits.
# Run from the repository root:  Rscript tests/r/distribution_fixtures.R
# Writes tests/fixtures/distributions.json; the Python tests read it and never call R.
suppressPackageStartupMessages(library(jsonlite))
exact <- function(x) if (is.list(x)) lapply(x, exact) else if (is.double(x)) sprintf("%.17g", x) else x

bin <- do.call(rbind, lapply(list(c(1, 0.5), c(13, 0.3), c(40, 0.05), c(40, 0.95), c(1000, 0.999),
                                  c(1e6, 1e-4), c(1e6, 0.5), c(1e7, 0.3)), function(np) {
  n <- np[1]; p <- np[2]
  k <- unique(c(0, 1, 2, floor(n * p) - 1, floor(n * p), floor(n / 3), n - 1, n))
  k <- k[k >= 0 & k <= n]
  data.frame(k = k, n = n, p = p)
}))
bin$pmf <- dbinom(bin$k, bin$n, bin$p)
bin$cdf <- pbinom(bin$k, bin$n, bin$p)
bin$sf <- pbinom(bin$k, bin$n, bin$p, lower.tail = FALSE)

# hypergeometric in scipy's parametrisation: M balls, n white, N drawn, k white drawn
hyp <- do.call(rbind, lapply(list(c(13, 9, 5), c(200, 60, 100), c(2000, 700, 1000), c(30, 1, 29)), function(a) {
  M <- a[1]; n <- a[2]; N <- a[3]
  lo <- max(0, N - (M - n)); hi <- min(n, N)
  k <- unique(c(lo, lo + 1, floor((lo + hi) / 2), hi - 1, hi))
  data.frame(k = k, M = M, n = n, N = N)
}))
hyp$pmf <- dhyper(hyp$k, hyp$n, hyp$M - hyp$n, hyp$N)
hyp$cdf <- phyper(hyp$k, hyp$n, hyp$M - hyp$n, hyp$N)
hyp$sf <- phyper(hyp$k, hyp$n, hyp$M - hyp$n, hyp$N, lower.tail = FALSE)

q <- c(1e-12, 0.001, 0.025, 0.05, 0.5, 0.95, 0.975, 0.999)
bq <- expand.grid(q = q, a = c(0.5, 1, 5, 40, 300), b = c(0.5, 1, 9, 13, 7e5))
bq$ppf <- qbeta(bq$q, bq$a, bq$b)

x <- c(1e-8, 0.5, 1, 1.96, 3.84, 10, 38, 200)
cg <- expand.grid(x = x, df = c(0.5, 1, 2, 3.7, 30, 1e6))
cg$sf <- pchisq(cg$x, cg$df, lower.tail = FALSE)
cq <- expand.grid(q = q, df = c(0.5, 1, 2, 3.7, 30, 1e6))
cq$ppf <- qchisq(cq$q, cq$df)
tg <- expand.grid(x = c(-40, -8.5, -1.96, 0, 1, 2.5, 12), df = c(0.5, 1, 2, 3.7, 30, 1e6))
tg$cdf <- pt(tg$x, tg$df)
tq <- expand.grid(q = q, df = c(1, 2, 3.7, 30, 1e6))
tq$ppf <- qt(tq$q, tq$df)
ng <- data.frame(x = c(-38, -8.5, -1.96, 0, 1, 12))
ng$cdf <- pnorm(ng$x)
nq <- data.frame(q = q)
nq$ppf <- qnorm(nq$q)

writeLines(toJSON(exact(list(binom = as.list(bin), hypergeom = as.list(hyp), beta_ppf = as.list(bq),
                             chi2_sf = as.list(cg), chi2_ppf = as.list(cq), t_cdf = as.list(tg),
                             t_ppf = as.list(tq), norm_cdf = as.list(ng), norm_ppf = as.list(nq),
                             r_version = R.version.string)), digits = NA, auto_unbox = TRUE),
           "tests/fixtures/distributions.json")
