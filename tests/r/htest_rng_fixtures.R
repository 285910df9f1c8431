# Golden values for R's random stream and the Monte Carlo p-values drawn from it:
# nlrstats.stats.rng (set.seed, runif, sample.int), nlrstats.stats.htest.r2dtable (r2dtable) and
# fisher.test / chisq.test with simulate.p.value = TRUE. R 4.2, default RNGkind
# ("Mersenne-Twister", "Inversion", "Rejection"). Run from the repository root:
#   Rscript tests/r/htest_rng_fixtures.R
# Writes tests/fixtures/htest_rng.json; the Python tests read it and never call R.
suppressPackageStartupMessages(library(jsonlite))
stopifnot(identical(RNGkind(), c("Mersenne-Twister", "Inversion", "Rejection")))
rows <- function(t) lapply(seq_len(nrow(t)), function(i) as.integer(t[i, ]))
# doubles as 17-significant-digit strings: JSON's 15 digits would not pin the last bit
exact <- function(x) if (is.list(x)) lapply(x, exact) else if (is.double(x)) sprintf("%.17g", x) else x

## the stream itself -----------------------------------------------------------------------
stream <- list()
for (s in c(1L, 42L, -5L, 2020L, 123456789L)) {
  set.seed(s)
  seed0 <- .Random.seed
  u <- runif(1000)
  stream[[length(stream) + 1]] <- list(seed = s, random_seed = seed0, runif_head = u[1:5],
                                       runif_624_626 = u[624:626], runif_1000 = u[1000],
                                       random_seed_after = .Random.seed)
}
samples <- list()
for (case in list(list(n = 10L, size = 25L), list(n = 2L, size = 40L), list(n = 65536L, size = 10L),
                  list(n = 65537L, size = 10L), list(n = 100000L, size = 50L), list(n = 1000000000L, size = 5L),
                  list(n = 1L, size = 3L))) {
  set.seed(7)
  samples[[length(samples) + 1]] <- list(n = case$n, size = case$size, replace = TRUE,
                                         value = sample.int(case$n, case$size, replace = TRUE))
}
set.seed(8)
samples[[length(samples) + 1]] <- list(n = 30L, size = 30L, replace = FALSE, value = sample.int(30))
set.seed(9)
samples[[length(samples) + 1]] <- list(n = 1000L, size = 12L, replace = FALSE, value = sample.int(1000, 12))
prob_samples <- list()
for (p in list(rep(0.2, 5), c(.1, .3, .1, .2, .1, .1, .1), c(5, 1, 1, 3), rep(1, 12))) {
  set.seed(11)
  prob_samples[[length(prob_samples) + 1]] <- list(prob = p, size = 60L,
                                                   value = sample.int(length(p), 60, TRUE, prob = p))
}

## r2dtable ------------------------------------------------------------------------------------
r2d <- list()
for (case in list(list(n = 50L, r = c(3L, 5L, 7L), c = c(4L, 4L, 7L), seed = 3L),
                  list(n = 20L, r = c(300L, 500L, 200L), c = c(400L, 350L, 150L, 100L), seed = 11L),
                  list(n = 30L, r = c(0L, 6L, 4L), c = c(5L, 0L, 5L), seed = 12L),
                  list(n = 10L, r = c(30000L, 12000L, 8000L), c = c(20000L, 20000L, 10000L), seed = 13L))) {
  set.seed(case$seed)
  tabs <- r2dtable(case$n, case$r, case$c)
  r2d[[length(r2d) + 1]] <- list(n = case$n, r = case$r, c = case$c, seed = case$seed,
                                 tables = lapply(tabs, as.integer))   # column-major
}

## simulated p-values --------------------------------------------------------------------------
sim <- list()
add_sim <- function(test, tab, seed, B = 2000L, p = NULL) {
  set.seed(seed)
  h <- if (test == "fisher") fisher.test(tab, simulate.p.value = TRUE, B = B) else if (is.null(p))
    chisq.test(tab, simulate.p.value = TRUE, B = B) else chisq.test(tab, p = p, simulate.p.value = TRUE, B = B)
  sim[[length(sim) + 1]] <<- list(test = test, table = if (is.matrix(tab)) rows(tab) else NULL,
                                  x = if (is.matrix(tab)) NULL else as.integer(tab), p = p, seed = seed, B = B,
                                  p_value = h$p.value, statistic = unname(h$statistic), method = h$method,
                                  random_seed_after = .Random.seed[1:3])
}
t25 <- matrix(c(3, 4, 2, 1, 0, 0, 1, 2, 3, 5), 2, byrow = TRUE)
t33 <- matrix(c(3, 4, 2, 0, 1, 2, 3, 5, 1), 3, byrow = TRUE)
t54 <- matrix(c(12, 5, 7, 3, 8, 9, 4, 6, 2, 11, 5, 5, 7, 3, 9, 6, 1, 4, 8, 10), 5, byrow = TRUE)
big <- matrix(c(600, 500, 400, 300, 250, 350, 450, 550, 400, 400, 400, 410), 3, byrow = TRUE)
for (s in c(1L, 2L, 2020L)) { add_sim("fisher", t25, s); add_sim("fisher", t33, s); add_sim("chisq", t25, s) }
add_sim("fisher", t54, 5L); add_sim("chisq", t54, 5L)
add_sim("fisher", big, 6L, B = 500L); add_sim("chisq", big, 6L, B = 500L)
add_sim("fisher", matrix(c(0, 3, 0, 2, 5, 0, 0, 1, 4), 3), 7L, B = 999L)  # zero margins dropped
add_sim("chisq", c(12, 7, 9, 15, 3), 4L)
add_sim("chisq", c(12, 7, 9, 15, 3), 4L, B = 5000L, p = c(.3, .1, .2, .3, .1))
add_sim("chisq", c(40, 22, 18), 9L, B = 1000L, p = c(.5, .25, .25))
# several calls after one set.seed continue one stream
set.seed(31)
seq_p <- c(fisher.test(t25, simulate.p.value = TRUE)$p.value, fisher.test(t33, simulate.p.value = TRUE)$p.value,
           chisq.test(t54, simulate.p.value = TRUE, B = 300)$p.value)

writeLines(toJSON(exact(list(stream = stream, samples = samples, prob_samples = prob_samples, r2dtable = r2d,
                       simulated = sim, sequence = list(seed = 31L, p_values = seq_p))),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           file.path("tests", "fixtures", "htest_rng.json"))
cat("wrote htest_rng.json\n")
