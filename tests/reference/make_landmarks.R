# Reference numbers for survival at fixed times (landmarks), overall and per group, and a
# three-group log-rank test.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/reference/make_landmarks.R
# Writes tests/reference/landmarks.json from tests/reference/data/veteran.csv.

suppressPackageStartupMessages(library(survival))

veteran <- read.csv(file.path("tests", "reference", "data", "veteran.csv"))
num <- function(v) ifelse(is.na(v), "null", sprintf("%.17g", v))
arr <- function(v) paste0("[", paste(num(v), collapse = ", "), "]")
times <- c(30, 90, 180, 365, 999.5)

cases <- c()
for (type in c("log", "log-log", "plain")) {
  fit <- survfit(Surv(time, status) ~ 1, data = veteran, conf.type = type, conf.int = 0.95)
  s <- summary(fit, times = times)  # extend = FALSE: times beyond the last are left out
  call <- sprintf('summary(survfit(Surv(time, status) ~ 1, data = veteran, conf.type = "%s"), times = c(%s))',
                  type, paste(times, collapse = ", "))
  cases <- c(cases, sprintf(
    '{"call": "%s", "conf_type": "%s", "times": %s, "reported": %s, "n_risk": %s, "surv": %s, "lower": %s, "upper": %s}',
    gsub('"', '\\\\"', call), type, arr(times), arr(s$time), arr(s$n.risk), arr(s$surv),
    arr(s$lower), arr(s$upper)))
}

# The same per group: each stratum of summary(survfit(... ~ celltype), times = ...).
by_group <- c()
for (type in c("log", "log-log", "plain")) {
  fit <- survfit(Surv(time, status) ~ celltype, data = veteran, conf.type = type, conf.int = 0.95)
  s <- summary(fit, times = times)
  strata <- sub("^celltype=", "", as.character(s$strata))
  groups <- c()
  for (g in levels(factor(veteran$celltype))) {
    k <- strata == g
    groups <- c(groups, sprintf(
      '{"level": "%s", "reported": %s, "n_risk": %s, "surv": %s, "lower": %s, "upper": %s}',
      g, arr(s$time[k]), arr(s$n.risk[k]), arr(s$surv[k]), arr(s$lower[k]), arr(s$upper[k])))
  }
  call <- sprintf('summary(survfit(Surv(time, status) ~ celltype, data = veteran, conf.type = "%s"), times = c(%s))',
                  type, paste(times, collapse = ", "))
  by_group <- c(by_group, sprintf('{"call": "%s", "conf_type": "%s", "times": %s, "groups": [%s]}',
                                  gsub('"', '\\\\"', call), type, arr(times), paste(groups, collapse = ", ")))
}

three <- subset(veteran, celltype != "large")
three$celltype <- factor(three$celltype)
lr <- survdiff(Surv(time, status) ~ celltype, data = three)
logrank <- sprintf(
  '{"call": "survdiff(Surv(time, status) ~ celltype, data = subset(veteran, celltype != \\"large\\"))", "groups": [%s], "chisq": %s, "df": %d, "p": %s}',
  paste0('"', levels(three$celltype), '"', collapse = ", "), num(lr$chisq), length(lr$n) - 1L,
  num(pchisq(lr$chisq, length(lr$n) - 1L, lower.tail = FALSE)))

json <- sprintf('{"r_version": "%s", "survival_version": "%s", "generated_by": "tests/reference/make_landmarks.R", "survival_at": [%s], "survival_at_by_group": [%s], "logrank": %s}\n',
                R.version.string, as.character(packageVersion("survival")),
                paste(cases, collapse = ", "), paste(by_group, collapse = ", "), logrank)
writeLines(json, file.path("tests", "reference", "landmarks.json"), sep = "")
