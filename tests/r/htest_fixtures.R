# Golden values for nlrstats.stats.htest from R's stats package.
# Run from the repository root:  Rscript tests/r/htest_fixtures.R
# Writes tests/fixtures/htest_<test>.json; the Python tests read these files and never call R.
suppressPackageStartupMessages(library(jsonlite))
set.seed(20201105)

num <- function(v) {
  if (is.null(v) || length(v) == 0) return(NULL)
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
res <- function(h) {
  list(statistic = num(h$statistic), parameter = num(h$parameter), p_value = num(h$p.value),
       estimate = num(h$estimate), conf_low = num(h$conf.int[1]), conf_high = num(h$conf.int[2]),
       conf_level = num(attr(h$conf.int, "conf.level")), method = h$method)
}
write_fix <- function(cases, name) {
  writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path("tests", "fixtures", paste0("htest_", name, ".json")))
}
alts <- c("two.sided", "less", "greater")

## binom.test --------------------------------------------------------------
bcases <- list()
grid <- list(c(0, 10, .5), c(10, 10, .5), c(3, 7, .5), c(1, 4, .5), c(8, 9, .5), c(0, 1, .5), c(1, 1, .5),
             c(4, 13, .3), c(7, 20, .25), c(12, 20, .6), c(2, 30, .1), c(25, 60, .4), c(50, 100, .5),
             c(0, 6, .2), c(6, 6, .8), c(3, 9, 1/3), c(17, 250, .05), c(5, 11, .5), c(9, 40, .2))
for (g in grid) for (a in alts) for (cl in c(0.95, 0.9)) {
  h <- binom.test(g[1], g[2], p = g[3], alternative = a, conf.level = cl)
  bcases[[length(bcases) + 1]] <- list(x = g[1], n = g[2], p = g[3], alternative = a, conf_level = cl,
                                       result = res(h))
}
for (i in 1:20) {
  n <- sample(1:80, 1); x <- sample(0:n, 1); p <- round(runif(1, 0.05, 0.95), 2)
  h <- binom.test(x, n, p = p)
  bcases[[length(bcases) + 1]] <- list(x = x, n = n, p = p, alternative = "two.sided", conf_level = 0.95,
                                       result = res(h))
}
write_fix(bcases, "binom")

## fisher.test 2 x 2 ------------------------------------------------------
fcases <- list()
add_f <- function(tab, a = "two.sided", cl = 0.95) {
  h <- fisher.test(tab, alternative = a, conf.level = cl)
  fcases[[length(fcases) + 1]] <<- list(table = lapply(seq_len(nrow(tab)), function(i) tab[i, ]),
                                        alternative = a, conf_level = cl, result = res(h))
}
fixed <- list(matrix(c(8, 1, 1, 3), 2, byrow = TRUE), matrix(c(3, 4, 0, 6), 2, byrow = TRUE),
              matrix(c(8, 1, 1, 3), 2, byrow = TRUE), matrix(c(3, 0, 4, 6), 2, byrow = TRUE),
              matrix(c(0, 5, 5, 0), 2), matrix(c(10, 0, 0, 10), 2), matrix(c(1, 1, 1, 1), 2),
              matrix(c(0, 0, 3, 4), 2), matrix(c(12, 5, 7, 20), 2), matrix(c(40, 32, 18, 55), 2),
              matrix(c(2, 7, 9, 3), 2), matrix(c(1, 0, 0, 1), 2), matrix(c(100, 90, 80, 120), 2))
for (t in fixed) for (a in alts) add_f(t, a)
add_f(matrix(c(8, 1, 1, 3), 2, byrow = TRUE), "two.sided", 0.9)
add_f(matrix(c(12, 5, 7, 20), 2), "two.sided", 0.99)
for (i in 1:40) {
  t <- matrix(sample(0:15, 4, replace = TRUE), 2)
  if (sum(t) == 0) t[1, 1] <- 1
  add_f(t, sample(alts, 1))
}
write_fix(fcases, "fisher2x2")

## fisher.test r x c ------------------------------------------------------
rcases <- list()
add_r <- function(tab) {
  h <- fisher.test(tab, workspace = 2e7)
  rcases[[length(rcases) + 1]] <<- list(table = lapply(seq_len(nrow(tab)), function(i) tab[i, ]),
                                        result = res(h))
}
add_r(matrix(c(0, 3, 3, 2, 0, 1, 0, 5, 0, 0), 2, byrow = TRUE))   # BOR-like 2 x 5
add_r(matrix(c(1, 2, 5, 1, 0, 0, 0, 1, 3, 0), 2, byrow = TRUE))
add_r(matrix(c(3, 4, 2, 1, 0, 0, 1, 2, 3, 5), 2, byrow = TRUE))
add_r(matrix(c(3, 4, 2, 0, 1, 2, 3, 5, 1), 3, byrow = TRUE))
add_r(matrix(c(2, 0, 0, 0, 3, 0, 0, 0, 4), 3))
add_r(matrix(c(5, 5, 5, 5, 5, 5), 2))
add_r(matrix(c(0, 0, 4, 3, 2, 5), 2))                              # zero column kept by R
for (i in 1:14) {
  nc <- sample(3:5, 1)
  t <- matrix(sample(0:9, 2 * nc, replace = TRUE), 2)
  add_r(t)
}
for (i in 1:6) {
  t <- matrix(sample(0:6, 9, replace = TRUE), 3)
  add_r(t)
}
for (i in 1:3) {                                                  # moderate n: 2 x 5, n ~ 200-300
  p <- c(.3, .25, .2, .15, .1)
  t <- rbind(rmultinom(1, sample(90:150, 1), p), rmultinom(1, sample(90:150, 1), rev(p)))[, , drop = TRUE]
  add_r(matrix(t, 2))
}
add_r(matrix(c(40, 35, 30, 20, 12, 30, 34, 41, 25, 20), 2, byrow = TRUE))
add_r(matrix(c(3, 5, 2, 4, 6, 1, 2, 2, 7, 3, 1, 4), 3, byrow = TRUE))
for (i in 1:8) {                                                  # 3 groups x 3-5 levels, 4 x 4
  nr <- sample(3:4, 1); nc <- sample(3:5, 1)
  add_r(matrix(rpois(nr * nc, sample(c(1, 2, 3), 1)), nr))
}
add_r(matrix(c(20, 15, 10, 18, 16, 12, 5, 9, 14), 3, byrow = TRUE))
write_fix(rcases, "fisher_rxc")

## chisq.test --------------------------------------------------------------
ccases <- list()
ctabs <- list(matrix(c(12, 5, 7, 20), 2), matrix(c(40, 32, 18, 55), 2), matrix(c(3, 4, 0, 6), 2),
              matrix(c(20, 20, 20, 20), 2), matrix(c(10, 11, 10, 10), 2),
              matrix(c(30, 12, 8, 22, 25, 9), 2), matrix(c(10, 20, 30, 15, 25, 5, 8, 9, 10), 3))
for (t in ctabs) for (cr in c(TRUE, FALSE)) {
  h <- suppressWarnings(chisq.test(t, correct = cr))
  ccases[[length(ccases) + 1]] <- list(table = lapply(seq_len(nrow(t)), function(i) t[i, ]),
                                       correct = cr, result = res(h))
}
write_fix(ccases, "chisq")

## wilcox.test --------------------------------------------------------------
wcases <- list()
add_w <- function(x, y = NULL, paired = FALSE, a = "two.sided", exact = NULL, correct = TRUE,
                  conf.int = FALSE, mu = 0) {
  h <- suppressWarnings(wilcox.test(x, y, paired = paired, alternative = a, exact = exact, correct = correct,
                                    conf.int = conf.int, mu = mu))
  wcases[[length(wcases) + 1]] <<- list(x = num(x), y = num(y), paired = paired, alternative = a,
                                        exact = exact, correct = correct, conf_int = conf.int, mu = mu,
                                        result = res(h))
}
x1 <- round(rnorm(8, 5), 3); y1 <- round(rnorm(11, 5.8), 3)
for (a in alts) { add_w(x1, y1, a = a); add_w(x1, y1, a = a, conf.int = TRUE) }
xt <- c(1, 2, 2, 3, 3, 3, 5, 8); yt <- c(2, 3, 4, 4, 6, 7, 7, 9, 10)           # ties -> normal approx
for (a in alts) { add_w(xt, yt, a = a); add_w(xt, yt, a = a, correct = FALSE); add_w(xt, yt, a = a, conf.int = TRUE) }
xl <- round(rnorm(60, 10, 3), 1); yl <- round(rnorm(55, 11, 3), 1)                # n >= 50
for (a in alts) add_w(xl, yl, a = a)
add_w(xl, yl, conf.int = TRUE)
add_w(x1, y1, exact = FALSE); add_w(x1, y1, exact = FALSE, correct = FALSE)
add_w(c(1.5, 2.5, NA, 3.7), c(0.2, NA, 4.4, 5.1, 6.0))
add_w(c(3, 1, 4, 1, 5, 9, 2, 6), c(5, 3, 5, 8, 9, 7, 9, 3, 2, 3))
add_w(round(runif(40), 4), round(runif(45), 4))
add_w(round(runif(40), 4), round(runif(45), 4), conf.int = TRUE)
# signed rank, one sample and paired
d0 <- c(9.1, 12.3, 6.8, 15.2, 4.4, 8.8, 10.1, 7.7, 11.5, 5.9)
d14 <- c(6.2, 9.9, 7.1, 10.4, 4.0, 9.5, 6.6, 5.1, 12.0, 4.8)
for (a in alts) { add_w(d0, d14, paired = TRUE, a = a); add_w(d0, d14, paired = TRUE, a = a, conf.int = TRUE) }
dz0 <- c(3, 5, 4, 6, 8, 2, 7, 5, 9, 4)        # zeros and ties in the differences
dz14 <- c(3, 4, 4, 3, 6, 2, 8, 3, 5, 4)
for (a in alts) { add_w(dz0, dz14, paired = TRUE, a = a); add_w(dz0, dz14, paired = TRUE, a = a, correct = FALSE) }
add_w(dz0, dz14, paired = TRUE, conf.int = TRUE)
add_w(c(1.2, -0.4, 2.2, 3.1, -1.5, 0.7, 2.8), mu = 0.5)
add_w(c(1.2, -0.4, 2.2, 3.1, -1.5, 0.7, 2.8), mu = 0.5, conf.int = TRUE, a = "greater")
xp <- round(rnorm(70), 2); yp <- round(xp + rnorm(70, 0.2), 2)
add_w(xp, yp, paired = TRUE); add_w(xp, yp, paired = TRUE, conf.int = TRUE)
add_w(c(NA, 1, 2, 3, 4, 5), c(2, NA, 2.5, 3.5, 1, 7), paired = TRUE)
write_fix(wcases, "wilcox")

## kruskal.test -------------------------------------------------------------
kcases <- list()
add_k <- function(x, g) {
  h <- kruskal.test(x, g)
  kcases[[length(kcases) + 1]] <<- list(x = num(x), g = g, result = res(h))
}
add_k(c(2.9, 3.0, 2.5, 2.6, 3.2, 3.8, 2.7, 4.0, 2.4, 2.8, 3.4, 3.7, 2.2, 2.0),
      c("a", "a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c", "c"))
add_k(c(1, 2, 2, 3, 3, 3, 4, 4, 5, 1, 1, 2), rep(c("x", "y", "z"), 4))
add_k(round(rnorm(30), 1), sample(c("g1", "g2", "g3", "g4"), 30, replace = TRUE))
add_k(c(1, 2, 3, 4, NA, 6, 7, 8), c("u", "u", "v", "v", "v", NA, "w", "w"))
add_k(sample(0:4, 200, replace = TRUE), sample(c("low", "high"), 200, replace = TRUE))
write_fix(kcases, "kruskal")

## t.test (Welch) ------------------------------------------------------------
tcases <- list()
for (a in alts) {
  h <- t.test(x1, y1, alternative = a)
  tcases[[length(tcases) + 1]] <- list(x = num(x1), y = num(y1), alternative = a, var_equal = FALSE,
                                       result = modifyList(res(h), list(estimate = unname(h$estimate[1] - h$estimate[2]))))
}
h <- t.test(xl, yl, var.equal = TRUE)
tcases[[length(tcases) + 1]] <- list(x = num(xl), y = num(yl), alternative = "two.sided", var_equal = TRUE,
                                     result = modifyList(res(h), list(estimate = unname(h$estimate[1] - h$estimate[2]))))
write_fix(tcases, "ttest")
cat("wrote", length(bcases), length(fcases), length(rcases), length(ccases), length(wcases), length(kcases),
    length(tcases), "cases\n")

## Table 1 (summarize): descriptive statistics and gtsummary's default tests ------------------
set.seed(42)
n <- 70
d <- data.frame(
  grp = sample(c("A", "B"), n, replace = TRUE, prob = c(.6, .4)),
  arm = sample(c("x", "y", "z"), n, replace = TRUE),
  age = round(rnorm(n, 65, 9)),                       # ties -> normal approximation
  marker = round(rlnorm(n, 1.5, 0.6), 2),
  ecog = sample(0:3, n, replace = TRUE, prob = c(.35, .4, .2, .05)),
  sex = sample(c("F", "M"), n, replace = TRUE),
  meta = sample(c(TRUE, FALSE), n, replace = TRUE, prob = c(.7, .3)),
  stage = sample(c("I", "II", "III"), n, replace = TRUE, prob = c(.3, .4, .3)),
  stringsAsFactors = FALSE
)
d$marker[c(3, 17, 40)] <- NA
d$sex[c(5, 9)] <- NA
small <- data.frame(grp = c(rep("A", 7), rep("B", 5)), v = c(3.1, 4.7, 2.2, 5.9, 4.1, 3.3, 6.2, 7.7, 5.5, 8.1, 6.6, 9.0))
desc <- function(x) {
  x <- x[!is.na(x)]
  q <- quantile(x, c(.25, .75))
  q2 <- quantile(x, c(.25, .75), type = 2)
  list(n = length(x), median = median(x), p25 = unname(q[1]), p75 = unname(q[2]), min = min(x), max = max(x),
       mean = mean(x), sd = sd(x), p25_type2 = unname(q2[1]), p75_type2 = unname(q2[2]))
}
auto_cat <- function(x, g) {
  tab <- table(x, g)
  e <- suppressWarnings(chisq.test(tab)$expected)
  if (any(e < 5)) list(test = "fisher", p = fisher.test(tab)$p.value)
  else list(test = "chisq.no.correct", p = chisq.test(tab, correct = FALSE)$p.value)
}
sres <- list()
for (by in c("grp", "arm")) {
  out <- list()
  for (v in c("age", "marker")) {
    g <- d[[by]]
    per <- lapply(split(d[[v]], g), desc)
    per$Overall <- desc(d[[v]])
    miss <- c(tapply(is.na(d[[v]]), g, sum), Overall = sum(is.na(d[[v]])))
    tst <- if (by == "grp") list(test = "wilcox", p = suppressWarnings(wilcox.test(d[[v]][g == "A"], d[[v]][g == "B"]))$p.value)
           else list(test = "kruskal", p = kruskal.test(d[[v]], g)$p.value)
    tt <- if (by == "grp") t.test(d[[v]][g == "A"], d[[v]][g == "B"])$p.value else NULL
    out[[v]] <- list(stats = per, missing = as.list(miss), test = tst, t_test_p = tt)
  }
  for (v in c("ecog", "sex", "meta", "stage")) {
    g <- d[[by]]
    tab <- table(factor(as.character(d[[v]])), g)
    out[[v]] <- list(levels = rownames(tab), counts = lapply(colnames(tab), function(cn) as.numeric(tab[, cn])),
                     groups = colnames(tab), test = auto_cat(as.character(d[[v]]), g),
                     chisq_correct_p = suppressWarnings(chisq.test(table(as.character(d[[v]]), g))$p.value),
                     missing = sum(is.na(d[[v]])))
  }
  sres[[by]] <- out
}
sres$small <- list(stats = lapply(split(small$v, small$grp), desc),
                   p = wilcox.test(small$v[small$grp == "A"], small$v[small$grp == "B"])$p.value,
                   method = wilcox.test(small$v[small$grp == "A"], small$v[small$grp == "B"])$method)
sres$data <- d
sres$small_data <- small
writeLines(toJSON(sres, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path("tests", "fixtures", "htest_summary.json"))

## NLR dynamics on the bundled cohort ---------------------------------------------------------
co <- read.csv(file.path("data", "fukuda2020_reconstructed.csv"), stringsAsFactors = FALSE)
co$nlr_d0 <- co$neutrophils_d0 / co$lymphocytes_d0
co$nlr_d14 <- co$neutrophils_d14 / co$lymphocytes_d14
co$dec <- co$nlr_d14 < co$nlr_d0
co$resp <- co$best_response %in% c("CR", "PR")
co$dc <- co$best_response %in% c("CR", "PR", "SD")
ok <- !is.na(co$nlr_d0) & !is.na(co$nlr_d14) & !is.na(co$best_response)
co <- co[ok, ]
tab2 <- function(ev) matrix(c(sum(ev & co$dec), sum(!ev & co$dec), sum(ev & !co$dec), sum(!ev & !co$dec)), 2,
                            byrow = TRUE)
dres <- list(n = nrow(co))
for (ep in c("orr", "dcr")) {
  ev <- if (ep == "orr") co$resp else co$dc
  f <- fisher.test(tab2(ev))
  rates <- lapply(list(decreased = co$dec, not_decreased = !co$dec), function(m) {
    b <- binom.test(sum(ev & m), sum(m)); list(x = sum(ev & m), n = sum(m), estimate = unname(b$estimate),
                                             conf_low = b$conf.int[1], conf_high = b$conf.int[2]) })
  dres[[ep]] <- list(p_value = f$p.value, estimate = num(f$estimate), conf_low = f$conf.int[1],
                     conf_high = num(f$conf.int[2]), rates = rates)
}
pw <- function(m) { h <- suppressWarnings(wilcox.test(co$nlr_d0[m], co$nlr_d14[m], paired = TRUE))
  list(n = sum(m), statistic = unname(h$statistic), p_value = h$p.value, method = h$method) }
dres$paired <- list(overall = pw(rep(TRUE, nrow(co))), responder = pw(co$resp), non_responder = pw(!co$resp))
writeLines(toJSON(dres, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path("tests", "fixtures", "htest_dynamics.json"))
