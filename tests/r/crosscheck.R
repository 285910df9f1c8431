# Cross-check on a cohort no other test uses: 400 simulated patients with ties, strata, clusters and
# covariates; every value the R-style verbs return is written to tests/fixtures/crosscheck/.
# Run from the repository root: Rscript tests/r/crosscheck.R (R 4.2, survival, maxstat, pROC).
out_dir <- "tests/fixtures/crosscheck"
set.seed(20261202)
n <- 400
d <- data.frame(
  time = round(rexp(n, 0.08) + 0.1, 1),
  status = rbinom(n, 1, 0.7),
  x = rlnorm(n, 1.5, 0.7),
  age = round(rnorm(n, 65, 10)),
  sex = sample(c("F","M"), n, TRUE),
  site = sample(c("A","B","C"), n, TRUE),
  resp = sample(c("CR","PR","SD","PD","NE"), n, TRUE, prob=c(.05,.2,.4,.3,.05))
)
d$grp <- ifelse(d$x >= 4.5, "high", "low")
write.csv(d, file.path(out_dir, "cohort400.csv"), row.names=FALSE)
library(survival); library(maxstat); library(pROC)
out <- list()
f <- coxph(Surv(time, status) ~ grp + age + sex + strata(site), data=d)
out$cox_coef <- unname(coef(f)); out$cox_se <- unname(sqrt(diag(vcov(f)))); out$cox_loglik <- f$loglik
fb <- coxph(Surv(time, status) ~ log(x) + age, data=d, ties="breslow")
out$coxb_coef <- unname(coef(fb)); out$coxb_se <- unname(sqrt(diag(vcov(fb))))
km <- survfit(Surv(time, status) ~ grp, data=d)
s <- summary(km)$table
out$km_median <- unname(s[, "median"]); out$km_lcl <- unname(s[, "0.95LCL"]); out$km_ucl <- unname(s[, "0.95UCL"])
out$km_surv <- km$surv; out$km_lower <- km$lower
sd <- survdiff(Surv(time, status) ~ grp, data=d); out$logrank <- sd$chisq
sd2 <- survdiff(Surv(time, status) ~ grp + strata(sex), data=d); out$logrank_strat <- sd2$chisq
out$conc <- unname(concordance(Surv(time, status) ~ x, data=d, reverse=TRUE)$concordance)
tab <- table(d$grp, d$resp)
out$chisq <- unname(chisq.test(tab)$statistic)
out$fisher_dcr <- fisher.test(table(d$grp, d$resp %in% c("CR","PR","SD")))$p.value
out$wilcox_p <- wilcox.test(age ~ sex, data=d)$p.value
ms <- maxstat.test(Surv(time, status) ~ x, data=d, smethod="LogRank", pmethod="Lau94", minprop=0.1, maxprop=0.9)
out$maxstat_stat <- unname(ms$statistic); out$maxstat_cut <- unname(ms$estimate); out$maxstat_p <- ms$p.value
r <- roc(d$resp %in% c("CR","PR","SD"), d$x, direction="auto", quiet=TRUE)
out$auc <- as.numeric(auc(r)); out$auc_ci <- as.numeric(ci.auc(r))[c(1,3)]
con <- file(file.path(out_dir, "r_values_1.tsv"), "w")
for (k in names(out)) writeLines(paste(c(k, format(out[[k]], digits=17)), collapse="\t"), con)
close(con)

out <- list()
f <- coxph(Surv(time, status) ~ grp + age + cluster(site), data=d)
out$rob_se <- unname(sqrt(diag(vcov(f)))); out$rob_z <- unname(coef(f)/sqrt(diag(vcov(f))))
kl <- survfit(Surv(time, status) ~ grp, data=d, conf.type="log-log")
out$ll_lower <- kl$lower; out$ll_upper <- kl$upper
q <- quantile(kl, probs=c(.25,.5,.75)); out$q <- as.vector(t(q$quantile))
rm <- summary(kl, rmean=20)$table[, "rmean"]; out$rmean <- unname(rm)
rms <- summary(kl, rmean=20)$table[, "se(rmean)"]; out$rmean_se <- unname(rms)
out$t_p <- t.test(age ~ sex, data=d)$p.value
out$t_p_eq <- t.test(age ~ sex, data=d, var.equal=TRUE)$p.value
out$kw <- unname(kruskal.test(age ~ factor(site), data=d)$statistic)
out$binom_ci <- as.numeric(binom.test(17, 40)$conf.int)
small <- d[1:30,]
out$fisher_rc <- fisher.test(table(small$site, small$resp))$p.value
out$wil_small <- wilcox.test(small$x[small$sex=="F"], small$x[small$sex=="M"], exact=TRUE)$p.value
out$wil_ci <- as.numeric(wilcox.test(x ~ sex, data=d, conf.int=TRUE)$conf.int)
r1 <- roc(d$status, d$x, quiet=TRUE, direction="<"); r2 <- roc(d$status, d$age, quiet=TRUE, direction="<")
out$delong_p <- roc.test(r1, r2)$p.value
out$zph <- unname(cox.zph(coxph(Surv(time, status) ~ grp + age, data=d))$table[, "chisq"])
con <- file(file.path(out_dir, "r_values_2.tsv"), "w")
for (k in names(out)) writeLines(paste(c(k, format(out[[k]], digits=17)), collapse="\t"), con)
close(con)
