# The study's analysis plan on the example hospital export, done by hand in R from the raw file:
# the mapping's recodes and units (days -> months by 30.4375, cells/uL -> 10^9/L), NLR = ANC / ALC,
# high at NLR >= 8. Writes tests/fixtures/study_validation.tsv (one quantity a line).
# Run from the repository root: Rscript tests/r/study_validation.R
library(survival); library(maxstat)
d <- read.csv("data/example_validation.csv", check.names = FALSE, na.strings = c("", "NA"))
months <- function(days) days / 30.4375
x <- data.frame(
  age = d[["Age (years)"]], sex = ifelse(d$Gender == "female", "F", "M"),
  nlr = d$ANC_baseline / d$ALC_baseline,
  nlr14 = d$ANC_day14 / d$ALC_day14,
  bor = c("Complete response" = "CR", "Partial response" = "PR", "Stable disease" = "SD",
          "Progressive disease" = "PD", "Not evaluable" = "NE")[d[["Best response"]]],
  pfs = months(d[["PFS (days)"]]), pfs_e = as.integer(d$Progressed == "yes"),
  os = months(d[["OS (days)"]]), os_e = as.integer(d[["Vital status"]] == "dead"),
  ecog = d$PS
)
x$grp <- factor(ifelse(x$nlr >= 8, "high", "low"), levels = c("low", "high"))
out <- list()
dc <- x$bor %in% c("CR", "PR", "SD"); orr <- x$bor %in% c("CR", "PR")
for (g in c("low", "high")) {
  k <- x$grp == g & !is.na(x$bor)
  b <- binom.test(sum(dc[k]), sum(k)); out[[paste0("dcr_", g)]] <- c(sum(dc[k]), sum(k), b$conf.int)
  b <- binom.test(sum(orr[k]), sum(k)); out[[paste0("orr_", g)]] <- c(sum(orr[k]), sum(k), b$conf.int)
}
k <- !is.na(x$bor)
out$dcr_p <- fisher.test(table(x$grp[k], dc[k]))$p.value
out$orr_p <- fisher.test(table(x$grp[k], orr[k]))$p.value
for (ep in c("pfs", "os")) {
  f <- as.formula(sprintf("Surv(%s, %s_e) ~ grp", ep, ep))
  km <- survfit(f, data = x); tb <- summary(km)$table
  out[[paste0(ep, "_median")]] <- as.vector(t(tb[, c("median", "0.95LCL", "0.95UCL")]))
  out[[paste0(ep, "_logrank")]] <- survdiff(f, data = x)$chisq
  cf <- coxph(f, data = x, ties = "efron")
  out[[paste0(ep, "_hr")]] <- c(exp(coef(cf)), exp(confint(cf)), summary(cf)$coefficients[, "Pr(>|z|)"])
}
out$age_p <- wilcox.test(age ~ grp, data = x, exact = FALSE, correct = TRUE)$p.value
out$nlr_median <- median(x$nlr)
con <- file("tests/fixtures/study_validation.tsv", "w")
for (k in names(out)) writeLines(paste(c(k, format(unname(out[[k]]), digits = 17)), collapse = "\t"), con)
close(con)
