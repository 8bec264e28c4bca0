# Independent check of data/thyroid_sorafenib.xlsx against the numbers of the thyroid paper
# (sorafenib in 26 patients with radioiodine-refractory differentiated thyroid cancer).
#
# Run from anywhere:  Rscript data/check_thyroid.R
# R has no xlsx reader installed here, so the sheets are exported to CSV in a temporary folder
# with the project's Python (pandas, which only reads the cells); every statistic below is
# computed in R from the dates and values in the workbook, with the project's definitions:
# days = date - start of sorafenib; included = at least one month (365.25 / 12 days) of
# treatment; KM medians as printed by survfit with conf.type = "log-log" (as EZR); median
# follow-up by reverse KM; Cox with Efron ties (coxph default), Wald CI and p; log-rank =
# survdiff. Not run by the tests; rerun it after changing data/make_thyroid.py.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), ".."))
book <- file.path(root, "data", "thyroid_sorafenib.xlsx")
python <- Sys.getenv("COHORTPRESS_PYTHON", file.path(root, ".venv", "bin", "python"))
cutoff <- as.Date("2021-05-31")
month <- 365.25 / 12
six_months <- 6 * month

export_sheets <- function(book, dir) {
  code <- paste(
    "import sys, pandas as pd",
    "for s in ('patients', 'adverse_events'):",
    "    pd.read_excel(sys.argv[1], sheet_name=s).to_csv(",
    "        f'{sys.argv[2]}/{s}.csv', index=False, date_format='%Y-%m-%d')",
    sep = "\n"
  )
  status <- system2(python, c("-c", shQuote(code), shQuote(book), shQuote(dir)))
  if (status != 0) stop("could not export the workbook with ", python)
}

read_sheets <- function(book) {
  dir <- tempfile("thyroid_")
  dir.create(dir)
  export_sheets(book, dir)
  pt <- read.csv(file.path(dir, "patients.csv"), check.names = FALSE, na.strings = "",
                 encoding = "UTF-8")
  ae <- read.csv(file.path(dir, "adverse_events.csv"), check.names = FALSE, na.strings = "")
  date_cols <- c("Sorafenib start", "Sorafenib stop", "Progression date", "Date of death",
                 "Last visit")
  for (col in date_cols) pt[[col]] <- as.Date(pt[[col]])
  ae[["Onset date"]] <- as.Date(ae[["Onset date"]])
  names(pt)[grep("^Neutrophils", names(pt))] <- "neut"
  names(pt)[grep("^Lymphocytes", names(pt))] <- "lymph"
  names(pt)[grep("^Monocytes", names(pt))] <- "mono"
  names(pt)[grep("^Platelets", names(pt))] <- "plt"
  list(pt = pt, ae = ae)
}

show <- function(label, value, target) {
  cat(sprintf("  %-46s %-30s paper: %s\n", label, value, target))
}

count_pct <- function(x, level) {
  n <- sum(x == level, na.rm = TRUE)
  sprintf("%d (%.1f%%)", n, 100 * n / length(x))
}

treatment_days <- function(pt) {
  stop_or_cutoff <- pt[["Sorafenib stop"]]
  stop_or_cutoff[is.na(stop_or_cutoff)] <- cutoff
  as.numeric(stop_or_cutoff - pt[["Sorafenib start"]])
}

# Endpoints by the project's definitions (censoring at last contact, capped at the cutoff).
endpoints <- function(pt) {
  start <- pt[["Sorafenib start"]]
  last <- pmin(pt[["Last visit"]], cutoff)
  death <- pt[["Date of death"]]
  prog <- pt[["Progression date"]]
  stop <- pt[["Sorafenib stop"]]
  died <- !is.na(death) & death <= cutoff
  os_end <- ifelse(died, death, last)
  pfs_date <- pmin(prog, death, na.rm = TRUE)
  pfs_event <- !is.na(pfs_date) & pfs_date <= cutoff
  pfs_end <- ifelse(pfs_event, pfs_date, last)
  ttf_event <- !is.na(stop) & stop <= cutoff
  ttf_end <- ifelse(ttf_event, stop, last)
  data.frame(
    os_days = as.numeric(os_end - as.numeric(start)), os_event = as.integer(died),
    pfs_days = as.numeric(pfs_end - as.numeric(start)), pfs_event = as.integer(pfs_event),
    ttf_days = as.numeric(ttf_end - as.numeric(start)), ttf_event = as.integer(ttf_event)
  )
}

check_rules <- function(pt, ae) {
  s <- pt[["Sorafenib start"]]
  e <- pt[["Sorafenib stop"]]
  p <- pt[["Progression date"]]
  d <- pt[["Date of death"]]
  l <- pt[["Last visit"]]
  r <- pt[["Best response (RECIST)"]]
  ch <- pt[["Max change in target lesions (%)"]]
  latest <- pmax(p, e, na.rm = TRUE)
  onset_start <- s[match(ae[["Patient ID"]], pt[["Patient ID"]])]
  onset_end <- e[match(ae[["Patient ID"]], pt[["Patient ID"]])]
  onset_end[is.na(onset_end)] <- l[match(ae[["Patient ID"]], pt[["Patient ID"]])][is.na(onset_end)]
  bad <- c(
    "dates before start" = sum(c(p, d, e, l) < rep(s, 4), na.rm = TRUE),
    "death before progression" = sum(d < p, na.rm = TRUE),
    "last contact before progression/end" = sum(l < latest, na.rm = TRUE),
    "last contact != death date" = sum(!is.na(d) & l != d),
    "reason without end (or end without reason)" =
      sum(is.na(e) != is.na(pt[["Reason for stopping"]])),
    "response/change mismatch" = sum(
      (r == "CR" & ch != -100) | (r == "PR" & ch > -30) | (r == "PD" & ch < 20) |
        (r == "SD" & (ch <= -30 | ch >= 20)) | (r == "NE" & !is.na(ch)), na.rm = TRUE
    ),
    "response missing or unknown" = sum(!r %in% c("CR", "PR", "SD", "PD", "NE")),
    "dates after cutoff" = sum(c(s, e, p, d, l) > cutoff, na.rm = TRUE),
    "start outside Jul 2014 - Dec 2020" =
      sum(s < as.Date("2014-07-01") | s > as.Date("2020-12-31")),
    "AE rows for unknown ids" = sum(!ae[["Patient ID"]] %in% pt[["Patient ID"]]),
    "AE grades outside 1-5" = sum(!ae[["CTCAE grade"]] %in% 1:5),
    "AE onset outside treatment" =
      sum(ae[["Onset date"]] < onset_start | ae[["Onset date"]] > onset_end),
    "duplicate ids" = sum(duplicated(pt[["Patient ID"]])),
    "ids out of order" = sum(pt[["Patient ID"]] != sort(pt[["Patient ID"]]))
  )
  cat("Consistency rules (all must be 0):\n")
  for (k in names(bad)) cat(sprintf("  %-46s %d\n", k, bad[[k]]))
}

flow <- function(pt) {
  days <- treatment_days(pt)
  cat("Patients\n")
  show("Screened / excluded (< 1 month) / included",
       sprintf("%d / %d / %d", nrow(pt), sum(days < month), sum(days >= month)), "32 / 6 / 26")
  show("Longest treatment among excluded (days)", max(days[days < month]), "< 30.44")
  show("Excluded best responses", paste(sort(unique(pt[days < month, "Best response (RECIST)"])),
                                        collapse = ", "), "(not reported)")
}

table1 <- function(pt) {
  age <- pt[["Age (years)"]]
  cat("Table I (n = ", nrow(pt), ")\n", sep = "")
  show("Age, median (range)", sprintf("%g (%d-%d)", median(age), min(age), max(age)),
       "74 (53-86)")
  show("Male / female", paste(count_pct(pt$Sex, "M"), count_pct(pt$Sex, "F")),
       "10 (38.5%) / 16 (61.5%)")
  ps <- pt[["ECOG PS"]]
  show("ECOG PS 0 / 1 / 2", paste(count_pct(ps, 0), count_pct(ps, 1), count_pct(ps, 2)),
       "18 (69.2) / 7 (26.9) / 1 (3.8)")
  dx <- pt$Diagnosis
  show("Locally advanced / recurrence",
       paste(count_pct(dx, "Locally advanced"), count_pct(dx, "Recurrence")),
       "6 (23.1) / 20 (76.9)")
  h <- pt$Histology
  show("Papillary / follicular / poorly diff.",
       paste(sum(h == "Papillary"), sum(h == "Follicular"), sum(h == "Poorly differentiated")),
       "21 / 4 / 1")
  show("Bone metastasis", count_pct(pt[["Bone metastasis"]], "Yes"), "11 (42.3)")
  show("Lung metastasis", count_pct(pt[["Lung metastasis"]], "Yes"), "23 (88.5)")
  show("Lymph node metastasis", count_pct(pt[["Lymph node metastasis"]], "Yes"), "17 (65.4)")
  show("Subjective symptoms", count_pct(pt[["Subjective symptoms"]], "Yes"), "11 (42.3)")
  show("Anti-Tg antibody positive", count_pct(pt[["Anti-Tg antibody"]], "Positive"), "7 (26.9)")
}

markers <- function(pt) {
  data.frame(ALC = pt$lymph, NLR = pt$neut / pt$lymph, PLR = pt$plt / pt$lymph,
             LMR = pt$lymph / pt$mono)
}

cutoffs <- c(ALC = 1500, NLR = 3, PLR = 150, LMR = 4)

marker_medians <- function(mk) {
  cat("Immunity markers at the start (median; R's median of 26 values)\n")
  digits <- c(ALC = 0, NLR = 2, PLR = 1, LMR = 2)
  paper <- c(ALC = "1,481", NLR = "2.06", PLR = "133.3", LMR = "5.37")
  for (m in names(digits)) {
    x <- mk[[m]]
    show(m, sprintf("%.*f  (exact %.4f; high %d / low %d)", digits[[m]], median(x), median(x),
                    sum(x >= cutoffs[[m]]), sum(x < cutoffs[[m]])), paper[[m]])
    show("  closest value to the cut-off", sprintf("%.3f", x[which.min(abs(x - cutoffs[[m]]))]),
         "(kept away from it)")
  }
}

median_ci <- function(days, event) {
  fit <- survfit(Surv(days, event) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  fmt <- function(v) if (is.na(v)) "NR" else sprintf("%g", v)
  sprintf("%s (%s-%s)", fmt(q$quantile), fmt(q$lower), fmt(q$upper))
}

response_and_treatment <- function(pt, ep) {
  r <- pt[["Best response (RECIST)"]]
  n <- nrow(pt)
  cat("Response and treatment\n")
  show("CR / PR / SD / PD / NE",
       paste(sum(r == "CR"), sum(r == "PR"), sum(r == "SD"), sum(r == "PD"), sum(r == "NE")),
       "(not reported)")
  orr <- sum(r %in% c("CR", "PR"))
  show("ORR", sprintf("%d (%.1f%%)", orr, 100 * orr / n), "3 (11.5%)")
  sd_ok <- r == "SD" & ep$pfs_days > six_months
  cbr <- sum(r %in% c("CR", "PR") | sd_ok)
  show("CBR (SD with PFS > 182.6 days)", sprintf("%d (%.1f%%)", cbr, 100 * cbr / n), "21 (80.8%)")
  show("PFS of SD patients nearest 182.6 days",
       paste(sort(ep$pfs_days[r == "SD"])[1:6], collapse = " "), "(clear of it)")
  why <- pt[["Reason for stopping"]]
  other <- sum(!is.na(why) & !why %in% c("Progression", "Adverse event"))
  show("Stopped: progression / AE / other / ongoing",
       sprintf("%d / %d / %d / %d", sum(why == "Progression", na.rm = TRUE),
               sum(why == "Adverse event", na.rm = TRUE), other, sum(is.na(why))),
       "11 / 4 / 3 / 8")
  show("  other reasons", paste(sort(why[!is.na(why) & !why %in% c("Progression",
                                                                    "Adverse event")]),
                                collapse = ", "), "")
}

survival_summary <- function(ep) {
  cat("Kaplan-Meier (days; median (95% CI, log-log))\n")
  show("Median follow-up (reverse KM)",
       summary(survfit(Surv(os_days, 1 - os_event) ~ 1, data = ep))$table[["median"]], "969")
  show("Median TTF", median_ci(ep$ttf_days, ep$ttf_event), "543 (355-1882)")
  show("  events / n", sprintf("%d / %d", sum(ep$ttf_event), nrow(ep)), "")
  show("Median OS", median_ci(ep$os_days, ep$os_event), "2002 (985-NR)")
  show("  deaths / n", sprintf("%d / %d", sum(ep$os_event), nrow(ep)), "")
}

cox_text <- function(y, x) {
  s <- summary(coxph(y ~ x, ties = "efron"))
  sprintf("HR %.2f (%.2f-%.2f) p=%.3f", s$conf.int[1, "exp(coef)"], s$conf.int[1, "lower .95"],
          s$conf.int[1, "upper .95"], s$coefficients[1, "Pr(>|z|)"])
}

by_marker <- function(ep, mk) {
  for (m in names(cutoffs)) {
    grp <- factor(ifelse(mk[[m]] >= cutoffs[[m]], "High", "Low"), levels = c("Low", "High"))
    cat(sprintf("%s high (>= %g) vs low\n", m, cutoffs[[m]]))
    for (endpoint in c("ttf", "os")) {
      days <- ep[[paste0(endpoint, "_days")]]
      event <- ep[[paste0(endpoint, "_event")]]
      y <- Surv(days, event)
      lr <- survdiff(y ~ grp)
      p <- pchisq(lr$chisq, df = 1, lower.tail = FALSE)
      target <- if (m == "LMR" && endpoint == "os") {
        "2327 (985-NR) vs 1346 (77-NR); 0.21 (0.05-0.88); p=0.019"
      } else {
        "log-rank p > 0.05"
      }
      show(sprintf("%s high vs low median", toupper(endpoint)),
           sprintf("%s vs %s", median_ci(days[grp == "High"], event[grp == "High"]),
                   median_ci(days[grp == "Low"], event[grp == "Low"])), "")
      show(sprintf("  %s Cox, log-rank p", toupper(endpoint)),
           sprintf("%s, log-rank p=%.4f", cox_text(y, grp), p), target)
    }
  }
}

covariates <- function(pt, mk) {
  two <- function(x, ref, other) factor(ifelse(x == other, other, ref), levels = c(ref, other))
  cov <- data.frame(
    age = two(ifelse(pt[["Age (years)"]] >= 75, ">=75", "<75"), "<75", ">=75"),
    gender = two(pt$Sex, "F", "M"),
    ecog = two(ifelse(pt[["ECOG PS"]] >= 1, "1-2", "0"), "0", "1-2"),
    diagnosis = two(pt$Diagnosis, "Locally advanced", "Recurrence"),
    histology = two(ifelse(pt$Histology == "Papillary", "Papillary", "Others"), "Others",
                    "Papillary"),
    bone = two(pt[["Bone metastasis"]], "No", "Yes"),
    lung = two(pt[["Lung metastasis"]], "No", "Yes"),
    lymph_node = two(pt[["Lymph node metastasis"]], "No", "Yes"),
    symptoms = two(pt[["Subjective symptoms"]], "No", "Yes"),
    anti_tg = two(pt[["Anti-Tg antibody"]], "Negative", "Positive")
  )
  for (m in names(cutoffs)) {
    cov[[m]] <- two(ifelse(mk[[m]] >= cutoffs[[m]], "High", "Low"), "Low", "High")
  }
  cov
}

cox_tables <- function(ep, cov) {
  for (endpoint in c("ttf", "os")) {
    y <- Surv(ep[[paste0(endpoint, "_days")]], ep[[paste0(endpoint, "_event")]])
    cat(sprintf("Table II, %s: univariate Cox (Efron), level vs reference\n", toupper(endpoint)))
    for (v in names(cov)) {
      x <- cov[[v]]
      target <- if (endpoint == "os" && v == "LMR") "0.21 (0.05-0.88), significant" else "p > 0.05"
      show(sprintf("%s: %s vs %s", v, levels(x)[2], levels(x)[1]), cox_text(y, x), target)
    }
  }
}

table3 <- function(pt, ae) {
  ae <- ae[ae[["Patient ID"]] %in% pt[["Patient ID"]], ]
  worst <- aggregate(`CTCAE grade` ~ `Patient ID` + `Adverse event`, data = ae, FUN = max)
  n <- nrow(pt)
  per_patient <- aggregate(`CTCAE grade` ~ `Patient ID`, data = worst, FUN = max)
  cat("Table III (worst grade per patient per term; n = 26)\n")
  show("Patients with any adverse event", sprintf("%d / %d", nrow(per_patient), n), "26 / 26")
  show("Patients with grade >= 3", sum(per_patient[["CTCAE grade"]] >= 3), "a handful")
  paper <- c("Hand-foot skin reaction" = "24 (92.3%)", "Hypertension" = "17 (65.4%)",
             "Alopecia" = "10 (38.5%)", "Rash or desquamation" = "9 (34.6%)",
             "Anorexia" = "8 (30.8%)", "Interstitial pneumonitis" = "1 (3.8%)",
             "Keratoacanthoma" = "1 (3.8%)")
  counts <- sort(table(worst[["Adverse event"]]), decreasing = TRUE)
  for (term in names(counts)) {
    g <- worst[["CTCAE grade"]][worst[["Adverse event"]] == term]
    target <- if (term %in% names(paper)) paper[[term]] else "(not reported)"
    show(term, sprintf("%d (%.1f%%), G1/G2/G3 %d/%d/%d", length(g), 100 * length(g) / n,
                       sum(g == 1), sum(g == 2), sum(g >= 3)), target)
  }
  show("Rows / repeated patient-term rows (included)",
       sprintf("%d / %d", nrow(ae), nrow(ae) - nrow(worst)), "")
}

main <- function() {
  sheets <- read_sheets(book)
  cat(R.version.string, "; survival", format(packageVersion("survival")), "\n")
  cat("Workbook:", book, "\n")
  check_rules(sheets$pt, sheets$ae)
  flow(sheets$pt)
  pt <- sheets$pt[treatment_days(sheets$pt) >= month, ]
  ep <- endpoints(pt)
  mk <- markers(pt)
  table1(pt)
  marker_medians(mk)
  response_and_treatment(pt, ep)
  survival_summary(ep)
  by_marker(ep, mk)
  cox_tables(ep, covariates(pt, mk))
  table3(pt, sheets$ae)
}

main()
