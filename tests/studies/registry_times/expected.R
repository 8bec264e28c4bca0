# Numbers the registry_times study must print, computed independently with R's survival package.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/studies/registry_times/expected.R
# Reads data.csv (the same cells as data.xlsx, written by make_data.py) and writes expected.json:
# "numbers" maps a results.json key to its value; "logrank" holds survdiff's chi-square per test.
# The settings follow study.yml: log-log CIs at 95%, Efron ties, PFS recorded in days and
# reported in months (a month is 30.4375 days), missing values written "n.k.".

suppressPackageStartupMessages(library(survival))

here <- file.path("tests", "studies", "registry_times")
raw <- read.csv(file.path(here, "data.csv"), check.names = FALSE, na.strings = c("", "n.k."),
                stringsAsFactors = FALSE)
d <- data.frame(
  age = as.numeric(raw[["Age (y)"]]),
  sex = factor(ifelse(raw[["Gender"]] == "M", "Male", "Female"), levels = c("Female", "Male")),
  stage = factor(raw[["Disease status at start"]],
                 levels = c("Locally advanced", "Metastatic", "Recurrent")),
  best = raw[["Best overall response"]],
  os_time = raw[["Survival (months)"]],
  os_status = as.integer(tolower(raw[["Vital status"]]) %in% c("dead", "deceased")),
  pfs_days = raw[["PFS (days)"]],
  pfs_status = as.integer(tolower(raw[["Progressed or died"]]) == "yes")
)
d$pfs_time <- d$pfs_days / 30.4375
d$age70 <- factor(ifelse(d$age >= 70, ">=70", "<70"), levels = c("<70", ">=70"))

num <- function(v) ifelse(is.na(v), "null", sprintf("%.17g", v))
arr <- function(v) paste0("[", paste(num(v), collapse = ", "), "]")
out <- c()
put <- function(key, value) {
  out <<- c(out, sprintf('"%s": %s', key, if (length(value) > 1) arr(value) else num(value)))
}
slug <- function(x) gsub("[^a-z0-9]+", "_", tolower(x))
conf <- "log-log"

quantile_median <- function(fit, key) {
  q <- quantile(fit, probs = 0.5, conf.int = TRUE)
  put(paste0(key, ".median"), unname(q$quantile))
  put(paste0(key, ".ci"), c(unname(q$lower), unname(q$upper)))
}

wald_terms <- function(fit, key, names) {
  s <- summary(fit)
  for (i in seq_along(names)) {
    term <- paste0(key, ".terms.", names[i])
    put(paste0(term, ".hr"), s$conf.int[i, "exp(coef)"])
    put(paste0(term, ".ci"), c(s$conf.int[i, "lower .95"], s$conf.int[i, "upper .95"]))
    put(paste0(term, ".p"), s$coefficients[i, "Pr(>|z|)"])
  }
  put(paste0(key, ".n"), fit$n)
  put(paste0(key, ".events"), fit$nevent)
  put(paste0(key, ".lr_p"), s$logtest[["pvalue"]])
  put(paste0(key, ".score_p"), s$sctest[["pvalue"]])
  put(paste0(key, ".wald_p"), s$waldtest[["pvalue"]])
}

joint_wald <- function(fit, idx) {  # Wald test of a factor's levels together
  b <- coef(fit)[idx]
  v <- vcov(fit)[idx, idx, drop = FALSE]
  pchisq(drop(t(b) %*% solve(v) %*% b), length(idx), lower.tail = FALSE)
}

logrank <- c()
for (kind in c("os", "pfs")) {
  d$time <- d[[paste0(kind, "_time")]]
  d$status <- d[[paste0(kind, "_status")]]
  fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = conf, conf.int = 0.95)
  quantile_median(fit, kind)
  put(paste0(kind, ".n"), fit$n)
  put(paste0(kind, ".events"), sum(fit$n.event))
  for (t in c(12, 24)) {
    key <- sprintf("%s.landmarks.t%d", kind, t)
    if (t <= max(d$time)) {
      s <- summary(fit, times = t)
      put(paste0(key, ".value"), s$surv)
      put(paste0(key, ".ci"), c(s$lower, s$upper))
      put(paste0(key, ".n_risk"), s$n.risk)
    } else {
      put(paste0(key, ".value"), NA)  # beyond the last follow-up: not estimable
    }
  }
  by <- survfit(Surv(time, status) ~ stage, data = d, conf.type = conf, conf.int = 0.95)
  q <- quantile(by, probs = 0.5, conf.int = TRUE)
  for (i in seq_along(levels(d$stage))) {
    key <- sprintf("%s.by.stage.%s", kind, slug(levels(d$stage)[i]))
    put(paste0(key, ".median"), unname(q$quantile[i]))
    put(paste0(key, ".ci"), c(unname(q$lower[i]), unname(q$upper[i])))
    put(paste0(key, ".n"), by$n[i])
    put(paste0(key, ".events"), sum(d$status[!is.na(d$stage) & d$stage == levels(d$stage)[i]]))
  }
  lr <- survdiff(Surv(time, status) ~ stage, data = d)
  df <- length(lr$n) - 1L
  p <- pchisq(lr$chisq, df, lower.tail = FALSE)
  put(paste0(kind, ".by.stage.logrank_p"), p)
  put(paste0(kind, ".by.stage.logrank_df"), df)
  logrank <- c(logrank, sprintf('"%s.by.stage": {"chisq": %s, "df": %d, "p": %s}',
                                kind, num(lr$chisq), df, num(p)))

  stage_fit <- coxph(Surv(time, status) ~ stage, data = d, ties = "efron")
  ci <- summary(stage_fit)$conf.int
  co <- summary(stage_fit)$coefficients
  for (i in 2:3) {
    key <- sprintf("%s.by.stage.%s", kind, slug(levels(d$stage)[i]))
    put(paste0(key, ".hr"), ci[i - 1, "exp(coef)"])
    put(paste0(key, ".hr_ci"), c(ci[i - 1, "lower .95"], ci[i - 1, "upper .95"]))
    put(paste0(key, ".hr_p"), co[i - 1, "Pr(>|z|)"])
  }
  wald_terms(stage_fit, paste0(kind, ".cox.stage"), c("stage_metastatic", "stage_recurrent"))
  put(paste0(kind, ".cox.stage.factor.stage.p"), joint_wald(stage_fit, 1:2))
  wald_terms(coxph(Surv(time, status) ~ sex, data = d, ties = "efron"),
             paste0(kind, ".cox.sex"), "sex_male")
  wald_terms(coxph(Surv(time, status) ~ age70, data = d, ties = "efron"),
             paste0(kind, ".cox.age"), "age_70")
  multi <- coxph(Surv(time, status) ~ stage + sex, data = d, ties = "efron")
  wald_terms(multi, paste0(kind, ".multivariate"),
             c("stage_metastatic", "stage_recurrent", "sex_male"))
  put(paste0(kind, ".multivariate.factor.stage.p"), joint_wald(multi, 1:2))
}

# Median follow-up: reverse Kaplan-Meier of OS (censoring as the event).
reverse <- survfit(Surv(os_time, 1 - os_status) ~ 1, data = d, conf.type = conf)
put("followup.median", unname(quantile(reverse, probs = 0.5, conf.int = FALSE)))

# Response: ORR = CR + PR; CBR adds SD lasting at least 4 months of recorded PFS (121.75 days).
n <- nrow(d)
orr <- sum(d$best %in% c("CR", "PR"))
cbr <- orr + sum(d$best == "SD" & d$pfs_days >= 4 * 30.4375)
for (rate in list(list("orr", orr), list("cbr", cbr))) {
  test <- binom.test(rate[[2]], n, conf.level = 0.95)
  put(sprintf("response.%s.n", rate[[1]]), rate[[2]])
  put(sprintf("response.%s.pct", rate[[1]]), rate[[2]] / n)
  put(sprintf("response.%s.ci", rate[[1]]), as.numeric(test$conf.int))
}
put("n", n)

json <- sprintf(
  '{"r_version": "%s", "survival_version": "%s", "generated_by": "%s",\n "numbers": {\n  %s\n },\n "logrank": {%s}}\n',
  R.version.string, as.character(packageVersion("survival")), file.path(here, "expected.R"),
  paste(out, collapse = ",\n  "), paste(logrank, collapse = ", "))
writeLines(json, file.path(here, "expected.json"), sep = "")
