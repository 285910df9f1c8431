# Golden values for nlrstats' Cox models and formulas from R's survival (3.5) and rms (rcs).
# Run from the repository root:  Rscript tests/r/cox_fixtures.R
# Writes R's survival data sets (as used here) to tests/fixtures/cox_<name>.csv and R's results
# to tests/fixtures/cox_fixtures.json; the Python tests (tests/test_cox_r.py) never call R.
suppressPackageStartupMessages({library(jsonlite); library(survival); library(rms)})
stopifnot(packageVersion("survival") >= "3.5")
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted as Python sorts strings
set.seed(20260301)

num <- function(v) {
  if (is.null(v) || length(v) == 0) return(list())
  v <- unname(as.numeric(v))
  lapply(v, function(z) if (is.na(z)) NULL else if (is.infinite(z)) (if (z > 0) "Inf" else "-Inf") else z)
}
mat <- function(m) lapply(seq_len(ncol(as.matrix(m))), function(j) num(as.matrix(m)[, j]))
fx <- function(name) file.path("tests", "fixtures", paste0("cox_", name, ".csv"))

## data sets -------------------------------------------------------------------------------
rot <- rotterdam
rot$size_cat <- as.integer(rot$size)  # "<=20", "20-50", ">50" as 1, 2, 3
rot$size <- NULL
gb <- gbsg
gb$w_int <- 1 + gb$pid %% 3           # whole-number case weights: robust stays off
gb$w_frac <- 0.5 + (gb$pid %% 4) / 4  # fractional weights: R turns robust on
mono <- data.frame(                    # group b without events: monotone likelihood
  time = c(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
  status = c(1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0),
  g = c("a", "a", "a", "a", "a", "b", "b", "b", "a", "b", "b", "b"),
  x = c(0.3, -1.2, 0.8, 1.5, -0.4, 0.9, 0.1, -0.7, 0.6, 1.1, -0.2, 0.4))
sets <- list(lung = lung, pbc = pbc, colon = colon, ovarian = ovarian, gbsg = gb, rotterdam = rot,
             mgus2 = mgus2, veteran = veteran, mono = mono)
for (nm in names(sets)) write.csv(sets[[nm]], fx(nm), row.names = FALSE)
data_sets <- lapply(setNames(names(sets), names(sets)),
                    function(nm) read.csv(fx(nm), stringsAsFactors = FALSE))

## one fit and everything nlrstats reproduces from it --------------------------------------
fit_case <- function(id, ds, formula, ties = "efron", weights = NULL, subset = NULL, robust = NULL,
                     iter.max = 20, resid = FALSE, newdata = NULL, zph = NULL, curves = FALSE) {
  d <- data_sets[[ds]]
  if (!is.null(subset)) d_sub <- d[with(d, eval(parse(text = subset))) %in% TRUE, ] else d_sub <- d
  args <- list(formula = as.formula(formula), data = d_sub, ties = ties, x = TRUE, model = TRUE,
               control = coxph.control(iter.max = iter.max))
  if (!is.null(weights)) args$weights <- as.numeric(d_sub[[weights]])  # (cox.zph fails on integer weights)
  if (!is.null(robust)) args$robust <- robust
  warns <- character(0)
  fit <- withCallingHandlers(do.call(coxph, args),
                             warning = function(w) {warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning")})
  s <- summary(fit)
  cf <- s$coefficients
  out <- list(id = id, dataset = ds, formula = formula, ties = ties, weights = weights, subset = subset,
              robust = robust, iter_max = iter.max, warnings = as.list(warns),
              names = names(coef(fit)), coef = num(coef(fit)), var = mat(fit$var),
              se = num(cf[, "se(coef)"]), z = num(cf[, "z"]), p = num(cf[, "Pr(>|z|)"]),
              robust_se = if ("robust se" %in% colnames(cf)) num(cf[, "robust se"]) else NULL,
              naive_var = if (!is.null(fit$naive.var)) mat(fit$naive.var) else NULL,
              loglik = num(fit$loglik), score = num(fit$score), wald = num(fit$wald.test),
              rscore = if (!is.null(fit$rscore)) num(fit$rscore) else NULL,
              n = fit$n, nevent = fit$nevent, iter = fit$iter, means = num(fit$means),
              lp = num(fit$linear.predictors),
              concordance = num(fit$concordance[c("concordance", "std")]),
              aic = if (fit$nevent > 0) num(AIC(fit)) else NULL,
              confint = if (fit$nevent > 0) mat(confint(fit)) else NULL,
              assign = lapply(fit$assign, function(a) a))
  if (fit$nevent == 0) return(out)
  if (resid) {
    out$resid <- list(martingale = num(residuals(fit, "martingale")), deviance = num(residuals(fit, "deviance")),
                      score = mat(residuals(fit, "score")), dfbeta = mat(residuals(fit, "dfbeta")),
                      dfbetas = mat(residuals(fit, "dfbetas")), schoenfeld = mat(residuals(fit, "schoenfeld")),
                      scaledsch = mat(residuals(fit, "scaledsch")),
                      schoenfeld_time = num(as.numeric(rownames(as.matrix(residuals(fit, "schoenfeld"))))))
    out$predict <- list(lp = num(predict(fit, type = "lp")), risk = num(predict(fit, type = "risk")),
                        expected = num(predict(fit, type = "expected")), terms = mat(predict(fit, type = "terms")),
                        lp_se = num(predict(fit, type = "lp", se.fit = TRUE)$se.fit),
                        risk_se = num(predict(fit, type = "risk", se.fit = TRUE)$se.fit),
                        expected_se = num(predict(fit, type = "expected", se.fit = TRUE)$se.fit),
                        terms_se = mat(predict(fit, type = "terms", se.fit = TRUE)$se.fit),
                        survival = num(predict(fit, type = "survival")),
                        lp_sample = num(predict(fit, type = "lp", reference = "sample")),
                        lp_zero = num(predict(fit, type = "lp", reference = "zero")))
    bh <- basehaz(fit, centered = TRUE); bz <- basehaz(fit, centered = FALSE)
    out$basehaz <- list(time = num(bh$time), hazard = num(bh$hazard), hazard0 = num(bz$hazard),
                        strata = if (!is.null(bh$strata)) as.character(bh$strata) else NULL)
  }
  if (!is.null(newdata)) {
    nd <- data_sets[[ds]][newdata, ]
    out$newdata_rows <- newdata - 1  # 0-based rows of the CSV
    out$newdata <- list(lp = num(predict(fit, nd, type = "lp")), risk = num(predict(fit, nd, type = "risk")),
                        lp_se = num(predict(fit, nd, type = "lp", se.fit = TRUE)$se.fit),
                        expected = num(predict(fit, nd, type = "expected")),
                        expected_se = num(predict(fit, nd, type = "expected", se.fit = TRUE)$se.fit),
                        terms = mat(predict(fit, nd, type = "terms")))
  }
  if (curves) {
    sf_list <- list(default = survfit(fit))
    if (!is.null(newdata)) sf_list$newdata <- survfit(fit, newdata = data_sets[[ds]][newdata, ])
    out$survfit <- lapply(sf_list, function(sf) {
      surv <- as.matrix(sf$surv)
      k <- ncol(surv)
      strata <- if (is.null(sf$strata)) rep("", length(sf$time)) else rep(names(sf$strata), sf$strata)
      tab <- summary(sf)$table
      if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
      list(ncurve = k, time = num(sf$time), n_risk = num(sf$n.risk), n_event = num(sf$n.event),
           n_censor = num(sf$n.censor), strata = strata, surv = mat(surv), std_err = mat(sf$std.err),
           cumhaz = mat(sf$cumhaz), lower = mat(sf$lower), upper = mat(sf$upper),
           median = mat(tab[, c("median", "0.95LCL", "0.95UCL"), drop = FALSE]))
    })
  }
  if (!is.null(zph)) {
    out$zph <- lapply(setNames(zph, zph), function(tr) {
      z <- tryCatch(cox.zph(fit, transform = tr), error = function(e) NULL)
      if (is.null(z)) return(list(error = TRUE))
      list(term = rownames(z$table), chisq = num(z$table[, "chisq"]), df = num(z$table[, "df"]),
           p = num(z$table[, "p"]))
    })
  }
  list(fit = out, object = fit)
}

cases <- list(); objects <- list()
add <- function(...) {
  r <- fit_case(...)
  if (is.null(r$fit)) r <- list(fit = r, object = NULL)
  cases[[length(cases) + 1]] <<- r$fit
  objects[[r$fit$id]] <<- r$object
}
add("lung_12", "lung", "Surv(time, status) ~ age + sex", resid = TRUE, newdata = 1:5, curves = TRUE,
    zph = c("km", "identity", "log", "rank"))
add("lung_ecog", "lung", "Surv(time, status == 2) ~ age + factor(ph.ecog) + I(wt.loss/10)", resid = TRUE,
    newdata = c(1, 2, 4, 7), curves = TRUE, zph = c("km", "rank"))
add("lung_alias", "lung", "Surv(time, status) ~ age + I(age * 2) + sex")
add("lung_none", "lung", "Surv(time, status == 3) ~ age + sex")
add("lung_subset", "lung", "Surv(time, status) ~ age + ph.karno", subset = "sex == 2 & age >= 50", resid = TRUE)
add("pbc_rcs", "pbc", "Surv(time, status == 2) ~ log(bili) + rcs(age, 4) + factor(edema)", resid = TRUE,
    newdata = c(1, 5, 9), curves = TRUE, zph = c("km"))
add("pbc_inter", "pbc", "Surv(time, status == 2) ~ factor(trt) * log(bili) + albumin", resid = TRUE,
    newdata = 1:3)
add("pbc_alk", "pbc", "Surv(time, status == 2) ~ alk.phos + factor(trt)")
add("pbc_rcs5", "pbc", "Surv(time, status == 2) ~ rcs(albumin) + sex")
add("pbc_rcsk", "pbc", "Surv(time, status == 2) ~ rcs(bili, c(0.5, 1, 3, 10))")
add("colon_cluster", "colon", "Surv(time, status) ~ rx + sex + age + nodes + cluster(id)")
add("colon_strata", "colon", "Surv(time, status) ~ rx + age + strata(etype) + cluster(id)", newdata = c(1, 2, 3, 4))
add("lung_strata", "lung", "Surv(time, status) ~ age + ph.ecog + strata(sex)", resid = TRUE, newdata = c(1, 2, 3, 6),
    curves = TRUE, zph = c("km"))
add("colon_sub", "colon", "Surv(time, status) ~ rx + extent + node4", subset = "etype == 2", ties = "breslow",
    resid = TRUE)
add("ovarian_inter", "ovarian", "Surv(futime, fustat) ~ age * factor(rx) + ecog.ps", ties = "breslow",
    resid = TRUE, newdata = 1:4, curves = TRUE, zph = c("km", "identity"))
add("ovarian_power", "ovarian", "Surv(futime, fustat) ~ (age + resid.ds + rx)^2")
add("gbsg_wint", "gbsg", "Surv(rfstime, status) ~ age + factor(grade) + log(pgr + 1) + hormon",
    weights = "w_int", resid = TRUE, newdata = 1:3, curves = TRUE, zph = c("km"))
add("gbsg_wfrac", "gbsg", "Surv(rfstime, status) ~ age + factor(grade) + log(pgr + 1) + hormon",
    weights = "w_frac", resid = TRUE)
add("gbsg_robust", "gbsg", "Surv(rfstime, status) ~ age + meno + size + nodes", robust = TRUE)
add("rott_scale", "rotterdam", "Surv(dtime, death) ~ I(age * 1e+06) + factor(grade) + chemo")
add("rott_base", "rotterdam", "Surv(dtime, death) ~ age + factor(grade) + chemo")
add("rott_strata", "rotterdam", "Surv(dtime, death) ~ age + factor(size_cat) + nodes + hormon + strata(meno)",
    newdata = c(1, 2, 3), zph = c("km"))
add("mgus_sub", "mgus2", "Surv(futime, death) ~ age + sex + hgb + creat", subset = "age >= 60")
add("mgus_pstat", "mgus2", "Surv(ptime, pstat) ~ age + sex + mspike", ties = "breslow")
add("veteran", "veteran", "Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior", ties = "breslow",
    resid = TRUE, newdata = c(1, 50, 100), curves = TRUE, zph = c("km", "identity", "log", "rank"))
add("veteran_a", "veteran", "Surv(time, status) ~ trt + celltype + karno")
add("veteran_b", "veteran", "Surv(time, status) ~ trt + celltype + karno + age + prior")
add("mono", "mono", "Surv(time, status) ~ g + x")
add("noconv", "veteran", "Surv(time, status) ~ celltype + karno + age", iter.max = 2)

anovas <- list(
  list(models = c("veteran_a", "veteran_b"),
       table = anova(objects[["veteran_a"]], objects[["veteran_b"]])),
  list(models = c("rott_base", "rott_scale"),
       table = anova(objects[["rott_base"]], objects[["rott_scale"]])),
  list(models = c("veteran_b"), table = anova(objects[["veteran_b"]])),
  list(models = c("pbc_inter"), table = anova(objects[["pbc_inter"]])))
anovas <- lapply(anovas, function(a) list(models = a$models, loglik = num(a$table$loglik),
                                          chisq = num(a$table$Chisq), df = num(a$table$Df),
                                          p = num(a$table[["Pr(>|Chi|)"]]),
                                          rows = rownames(a$table)))

# rcs() knots and basis straight from rms (quantile rules, fewer than 100 values, ties)
knots <- list(
  list(x = num(data_sets$pbc$age), k = 4, knots = num(attr(rcs(data_sets$pbc$age, 4), "parms"))),
  list(x = num(data_sets$pbc$bili), k = 5, knots = num(attr(rcs(data_sets$pbc$bili, 5), "parms"))),
  list(x = num(data_sets$ovarian$age), k = 3, knots = num(attr(rcs(data_sets$ovarian$age, 3), "parms"))),
  list(x = num(data_sets$lung$ph.karno[!is.na(data_sets$lung$ph.karno)]), k = 4,
       knots = num(attr(rcs(data_sets$lung$ph.karno[!is.na(data_sets$lung$ph.karno)], 4), "parms"))),
  list(x = num(data_sets$gbsg$nodes), k = 5, knots = num(attr(rcs(data_sets$gbsg$nodes, 5), "parms"))))
basis <- rcs(data_sets$ovarian$age, 4)
knots[[length(knots) + 1]] <- list(x = num(data_sets$ovarian$age), k = 4, knots = num(attr(basis, "parms")),
                                   basis = mat(unclass(basis)))

# R's term labels (specials dropped) and deparsed variables of formulas
formulas <- c("~ b:a + a", "~ a + b:a + c", "~ (a + b + c)^2", "~ a/b", "~ a * b - a:b", "~ a:b:c + a * b",
              "~ x - 1", "~ 0 + x", "~ log(x + 1) * g", "~ I(x^2) + I(age/10) + I(1e6 * x)", "~ a %in% b",
              "~ factor(ecog) + strata(s) + cluster(id) + rcs(age, 4)", "~ (a + b)^3", "~ a*b*c - a:b:c",
              "~ x + I(x > 5) + I(!b) + I(x %in% c(1, 2))", "~ `my x` + log(y, base = 2) + exp(-z)")
formula_labels <- lapply(formulas, function(f) {
  tl <- attr(terms(as.formula(f)), "term.labels")
  list(formula = f, labels = as.list(tl[!grepl("^(strata|cluster)\\(", tl)]))
})

writeLines(toJSON(list(cases = cases, anova = anovas, knots = knots, formulas = formula_labels),
                  auto_unbox = TRUE, digits = I(15),
                  null = "null"), file.path("tests", "fixtures", "cox_fixtures.json"))
cat("wrote", length(cases), "fits,", length(anovas), "anova tables,", length(knots), "knot sets\n")
