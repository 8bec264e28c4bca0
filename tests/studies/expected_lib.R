# Shared by the expected.R scripts of the test studies under tests/studies/: read the study's
# workbook, and write expected.json entries keyed by their results.json path, each with the R
# call that gives the number.
#
# R has no xlsx reader installed here, so the sheets are exported to CSV with the project's
# Python (pandas reads the cells, nothing more: no mapping, no dates parsed); every value is
# interpreted and every statistic computed below, in R, from the study's definitions.

suppressPackageStartupMessages(library(survival))

MONTH <- 365.25 / 12

read_sheet <- function(book, sheet) {
  root <- normalizePath(file.path(dirname(book), "..", "..", ".."))
  python <- Sys.getenv("COHORTPRESS_PYTHON", file.path(root, ".venv", "bin", "python"))
  out <- tempfile(fileext = ".csv")
  code <- paste(
    "import sys, pandas as pd",
    "pd.read_excel(sys.argv[1], sheet_name=sys.argv[2], dtype=str).to_csv(sys.argv[3], index=False)",
    sep = "\n"
  )
  status <- system2(python, c("-c", shQuote(code), shQuote(book), shQuote(sheet), shQuote(out)))
  if (status != 0) stop("could not export sheet ", sheet, " with ", python)
  read.csv(out, check.names = FALSE, na.strings = "", colClasses = "character")
}

# Times and events by the project's definitions: events after the cutoff are not counted and
# follow-up is censored at the cutoff; a month is 30.4375 days.
survival_time <- function(start, event_date, censor_date, cutoff) {
  event <- !is.na(event_date) & event_date <= cutoff
  end <- ifelse(event, event_date, pmin(censor_date, cutoff))
  list(time = as.numeric(end - as.numeric(start)) / MONTH, status = as.integer(event))
}

entries <- new.env()
entries$list <- c()

num <- function(v) ifelse(is.na(v), "null", sprintf("%.17g", v))

add <- function(key, value, call) {
  value <- if (length(value) == 1) num(value) else paste0("[", paste(num(value), collapse = ", "), "]")
  call <- gsub('"', '\\\\"', call)
  entries$list <- c(entries$list, sprintf('    {"key": "%s", "value": %s, "call": "%s"}', key, value, call))
}

write_expected <- function(path) {
  head <- sprintf('{\n  "r_version": "%s",\n  "survival_version": "%s",\n  "entries": [\n',
                  R.version.string, as.character(packageVersion("survival")))
  writeLines(paste0(head, paste(entries$list, collapse = ",\n"), "\n  ]\n}"), path)
}

# Median and its CI (log-log, as the ezr preset), overall or per stratum.
add_km <- function(key, fit, stratum = NULL, call) {
  tab <- summary(fit)$table
  row <- if (is.null(stratum)) tab else tab[stratum, ]
  add(paste0(key, ".median"), row[["median"]], call)
  add(paste0(key, ".ci"), c(row[["0.95LCL"]], row[["0.95UCL"]]), call)
  add(paste0(key, ".n"), row[["records"]], call)
  add(paste0(key, ".events"), row[["events"]], call)
}

# Survival at the landmark times: summary(fit, times =), per stratum when one is named.
add_landmarks <- function(key, fit, times, stratum = NULL, call) {
  s <- summary(fit, times = times)
  keep <- if (is.null(stratum)) rep(TRUE, length(s$time)) else as.character(s$strata) == stratum
  for (t in times) {
    k <- keep & s$time == t
    sub <- sprintf("%s.landmarks.t%s", key, gsub(".", "_", format(t), fixed = TRUE))
    call_t <- sprintf("%s; summary(fit, times = %s)%s", call, format(t),
                      if (is.null(stratum)) "" else paste0(" stratum ", stratum))
    if (!any(k)) {
      add(paste0(sub, ".value"), NA, call_t)  # beyond the last follow-up: not reported by R
      next
    }
    add(paste0(sub, ".value"), s$surv[k], call_t)
    add(paste0(sub, ".ci"), c(s$lower[k], s$upper[k]), call_t)
    add(paste0(sub, ".n_risk"), s$n.risk[k], call_t)
  }
}

# Log-rank test over k groups: chi-square p on k - 1 df.
add_logrank <- function(key, formula, data, call) {
  lr <- survdiff(formula, data = data)
  df <- sum(lr$n > 0) - 1
  add(paste0(key, ".logrank_p"), pchisq(lr$chisq, df, lower.tail = FALSE), call)
  add(paste0(key, ".logrank_df"), df, call)
}

# HR, Wald CI and p of each term of a Cox fit (Efron ties), under the given keys.
add_cox_terms <- function(keys, fit, call) {
  s <- summary(fit)
  for (i in seq_along(keys)) {
    add(paste0(keys[[i]], ".hr"), s$conf.int[i, "exp(coef)"], call)
    add(paste0(keys[[i]], if (grepl("\\.by\\.", keys[[i]])) ".hr_ci" else ".ci"),
        c(s$conf.int[i, "lower .95"], s$conf.int[i, "upper .95"]), call)
    add(paste0(keys[[i]], if (grepl("\\.by\\.", keys[[i]])) ".hr_p" else ".p"),
        s$coefficients[i, "Pr(>|z|)"], call)
  }
}

# Median follow-up by reverse Kaplan–Meier (censoring as the event).
add_followup <- function(time, status) {
  fit <- survfit(Surv(time, 1 - status) ~ 1)
  add("followup.median", summary(fit)$table[["median"]],
      "summary(survfit(Surv(os_time, 1 - os_status) ~ 1))$table['median']")
}

add_proportion <- function(key, k, n) {
  add(paste0(key, ".n"), k, sprintf("sum(...) = %d", k))
  add(paste0(key, ".ci"), as.numeric(binom.test(k, n)$conf.int),
      sprintf("binom.test(%d, %d)$conf.int", k, n))
}
