# Independent check of data/renal_sorafenib.xlsx against the numbers of the renal paper
# (second-line sorafenib in 42 patients with lung-only metastases of renal cell carcinoma).
#
# Run from the project root:  Rscript data/check_renal.R
# R has no xlsx reader installed here, so the sheets are exported to CSV in a temporary folder
# with the project's Python (pandas, which only reads the cells); every statistic below is
# computed in R from the dates and values in the workbook, with the project's definitions:
# days = date - start of sorafenib, months = days / (365.25 / 12); KM medians as printed by
# survfit with conf.type = "log-log"; Cox with Efron ties (coxph default), Wald p.
# Not run by the tests; rerun it after changing data/make_renal.py.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), ".."))
book <- file.path(root, "data", "renal_sorafenib.xlsx")
python <- Sys.getenv("COHORTPRESS_PYTHON", file.path(root, ".venv", "bin", "python"))
cutoff <- as.Date("2018-03-31")
month <- 365.25 / 12

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
  dir <- tempfile("renal_")
  dir.create(dir)
  export_sheets(book, dir)
  pt <- read.csv(file.path(dir, "patients.csv"), check.names = FALSE, na.strings = "")
  ae <- read.csv(file.path(dir, "adverse_events.csv"), check.names = FALSE, na.strings = "")
  date_cols <- c("Date of birth", "Start of sorafenib", "End of sorafenib",
                 "Date of progression", "Date of death", "Date of last follow-up")
  for (col in date_cols) pt[[col]] <- as.Date(pt[[col]])
  ae$Onset <- as.Date(ae$Onset)
  list(pt = pt, ae = ae)
}

completed_years <- function(birth, on) {
  b <- as.POSIXlt(birth)
  o <- as.POSIXlt(on)
  years <- o$year - b$year
  before_birthday <- (o$mon < b$mon) | (o$mon == b$mon & o$mday < b$mday)
  years - before_birthday
}

# Endpoints by the project's definitions (censoring at last contact, capped at the cutoff).
endpoints <- function(pt) {
  start <- pt[["Start of sorafenib"]]
  last <- pmin(pt[["Date of last follow-up"]], cutoff)
  death <- pt[["Date of death"]]
  prog <- pt[["Date of progression"]]
  died <- !is.na(death) & death <= cutoff
  os_end <- ifelse(died, death, last)
  pfs_date <- pmin(prog, death, na.rm = TRUE)
  pfs_event <- !is.na(pfs_date) & pfs_date <= cutoff
  pfs_end <- ifelse(pfs_event, pfs_date, last)
  treat_end <- pt[["End of sorafenib"]]
  data.frame(
    os_days = as.numeric(os_end - as.numeric(start)), os_event = as.integer(died),
    pfs_days = as.numeric(pfs_end - as.numeric(start)), pfs_event = as.integer(pfs_event),
    treat_days = as.numeric(ifelse(is.na(treat_end), cutoff, treat_end) - as.numeric(start))
  )
}

show <- function(label, value, target) {
  cat(sprintf("  %-44s %-22s paper: %s\n", label, value, target))
}

count_pct <- function(x, level) {
  n <- sum(x == level, na.rm = TRUE)
  sprintf("%d (%.1f%%)", n, 100 * n / length(x))
}

check_rules <- function(pt, ae) {
  s <- pt[["Start of sorafenib"]]
  e <- pt[["End of sorafenib"]]
  p <- pt[["Date of progression"]]
  d <- pt[["Date of death"]]
  l <- pt[["Date of last follow-up"]]
  r <- pt[["Best response"]]
  ch <- pt[["Maximal change of target lesions (%)"]]
  latest <- pmax(p, e, na.rm = TRUE)
  bad <- c(
    "dates before start" = sum(c(p, d, e, l) < rep(s, 4), na.rm = TRUE),
    "death before progression" = sum(d < p, na.rm = TRUE),
    "last contact before progression/end" = sum(l < latest, na.rm = TRUE),
    "last contact != death date" = sum(!is.na(d) & l != d),
    "reason without end (or end without reason)" =
      sum(is.na(e) != is.na(pt[["Reason for discontinuation"]])),
    "response/change mismatch" = sum(
      (r == "CR" & ch != -100) | (r == "PR" & ch > -30) | (r == "PD" & ch < 20) |
        (r == "SD" & (ch <= -30 | ch >= 20))
    ),
    "dates after cutoff" = sum(c(e, p, d, l) > cutoff, na.rm = TRUE),
    "AE rows for unknown ids" = sum(!ae$ID %in% pt$ID),
    "AE grades outside 1-5" = sum(!ae$Grade %in% 1:5),
    "AE onset outside treatment" = sum(ae$Onset < s[match(ae$ID, pt$ID)] |
                                         ae$Onset > e[match(ae$ID, pt$ID)]),
    "duplicate ids" = sum(duplicated(pt$ID))
  )
  cat("Consistency rules (all must be 0):\n")
  for (k in names(bad)) cat(sprintf("  %-44s %d\n", k, bad[[k]]))
}

table1 <- function(pt) {
  age <- completed_years(pt[["Date of birth"]], pt[["Start of sorafenib"]])
  crp <- ifelse(pt[["CRP (mg/dL)"]] < 0.8, "<0.8", ">=0.8")
  mets <- ifelse(pt[["Number of lung metastases"]] <= 3, "<=3", ">=4")
  cat("Table I (n = ", nrow(pt), ")\n", sep = "")
  show("Age, median (range)", sprintf("%g (%d-%d)", median(age), min(age), max(age)), "62 (41-83)")
  show("Age < 60", sum(age < 60), "(Table II split)")
  show("Male", count_pct(pt$Gender, "Male"), "30 (71.4%)")
  show("Female", count_pct(pt$Gender, "Female"), "12 (28.6%)")
  show("Nephrectomy yes / no", paste(count_pct(pt$Nephrectomy, "Yes"),
                                     count_pct(pt$Nephrectomy, "No")), "37 (88.1%) / 5 (11.9%)")
  fl <- pt[["First-line therapy"]]
  show("First line cytokine / sunitinib", paste(count_pct(fl, "Cytokine"),
                                               count_pct(fl, "Sunitinib")), "14 / 28")
  im <- pt[["IMDC risk"]]
  show("IMDC favorable / intermediate / poor", paste(sum(im == "Favorable"),
       sum(im == "Intermediate"), sum(im == "Poor")), "10 / 23 / 9")
  show("CRP < 0.8 / >= 0.8 mg/dL", paste(sum(crp == "<0.8"), sum(crp == ">=0.8")), "27 / 15")
  show("Lung metastases <= 3 / >= 4", paste(sum(mets == "<=3"), sum(mets == ">=4")), "23 / 19")
  side <- pt[["Side of lung metastases"]]
  show("Unilateral / bilateral", paste(count_pct(side, "Unilateral"),
                                       count_pct(side, "Bilateral")), "24 / 18")
  show("Clear cell / non-clear cell", paste(sum(pt$Histology == "Clear cell"),
       sum(pt$Histology == "Non-clear cell")), "38 / 4")
  sar <- pt[["Sarcomatoid feature"]]
  show("Sarcomatoid positive / negative", paste(sum(sar == "Positive"),
                                                sum(sar == "Negative")), "6 / 36")
  bad_side <- sum(side == "Bilateral" & pt[["Number of lung metastases"]] < 2)
  show("Bilateral with fewer than 2 metastases", bad_side, "0 (plausibility)")
}

response_and_treatment <- function(pt, ep) {
  r <- pt[["Best response"]]
  cat("Response and treatment\n")
  show("CR / PR / SD / PD", paste(sum(r == "CR"), sum(r == "PR"), sum(r == "SD"), sum(r == "PD")),
       "2 / 14 / 22 / 4")
  show("ORR", sprintf("%.1f%%", 100 * mean(r %in% c("CR", "PR"))), "38.1%")
  sd_ok <- r == "SD" & ep$pfs_days >= 42
  show("CBR (SD >= 6 weeks of PFS)", sprintf("%.1f%%", 100 * mean(r %in% c("CR", "PR") | sd_ok)),
       "90.5%")
  show("Shortest PFS among SD (days)", min(ep$pfs_days[r == "SD"]), ">= 42")
  m <- ep$treat_days / month
  show("Treatment months, median (range)",
       sprintf("%.1f (%.0f-%.0f)", median(m), min(m), max(m)), "13.2 (2-39)")
  show("  exact median / min / max", sprintf("%.3f / %.2f / %.2f", median(m), min(m), max(m)), "")
  show("Dose reduction", count_pct(pt[["Dose reduction"]], "Yes"), "27 (64.3%)")
  why <- pt[["Reason for discontinuation"]]
  show("Stopped: progression / adverse event / ongoing",
       paste(sum(why == "Progression", na.rm = TRUE), sum(why == "Adverse event", na.rm = TRUE),
             sum(is.na(why))), "38 / 4 / 0")
}

km_line <- function(label, days, event, target) {
  fit <- survfit(Surv(days / month, event) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  show(label, sprintf("%.2f (%.1f-%.1f)", q$quantile, q$lower, q$upper), target)
  show(paste0("  events / n"), sprintf("%d / %d", sum(event), length(event)), "")
}

survival_summary <- function(ep) {
  cat("Kaplan-Meier (months; median (95% CI, log-log))\n")
  km_line("Median PFS", ep$pfs_days, ep$pfs_event, "10.3")
  km_line("Median OS", ep$os_days, ep$os_event, "30.2")
  km_line("Median follow-up (reverse KM)", ep$os_days, 1 - ep$os_event, "(not reported)")
}

factors <- function(pt) {
  age <- completed_years(pt[["Date of birth"]], pt[["Start of sorafenib"]])
  data.frame(
    age = factor(ifelse(age < 60, "<60", ">=60"), levels = c(">=60", "<60")),
    gender = factor(pt$Gender, levels = c("Female", "Male")),
    nephrectomy = factor(pt$Nephrectomy, levels = c("No", "Yes")),
    first_line = factor(pt[["First-line therapy"]], levels = c("Sunitinib", "Cytokine")),
    imdc = factor(ifelse(pt[["IMDC risk"]] == "Poor", "poor", "others"),
                  levels = c("others", "poor")),
    crp = factor(ifelse(pt[["CRP (mg/dL)"]] < 0.8, "<0.8", ">=0.8"), levels = c("<0.8", ">=0.8")),
    lung_mets = factor(ifelse(pt[["Number of lung metastases"]] <= 3, "<=3", ">=4"),
                       levels = c(">=4", "<=3")),
    side = factor(pt[["Side of lung metastases"]], levels = c("Bilateral", "Unilateral")),
    histology = factor(pt$Histology, levels = c("Non-clear cell", "Clear cell")),
    sarcomatoid = factor(pt[["Sarcomatoid feature"]], levels = c("Negative", "Positive"))
  )
}

# Paper's Table II: univariate HR and p for PFS, then for OS.
paper_uni <- list(
  pfs = c(age = "0.78 p=0.64", gender = "1.32 p=0.41", nephrectomy = "0.45 p=0.1",
          first_line = "1.13 p=0.47", imdc = "3.89 p=0.012", crp = "3.92 p=0.0083",
          lung_mets = "0.68 p=0.52", side = "0.57 p=0.48", histology = "0.53 p=0.35",
          sarcomatoid = "1.8 p=0.12"),
  os = c(age = "0.56 p=0.23", gender = "1.44 p=0.42", nephrectomy = "0.43 p=0.089",
         first_line = "1.17 p=0.48", imdc = "3.54 p=0.018", crp = "4.07 p=0.0073",
         lung_mets = "0.61 p=0.4", side = "0.53 p=0.18", histology = "0.57 p=0.29",
         sarcomatoid = "2.92 p=0.0037")
)
paper_multi <- list(
  pfs = c(imdc = "1.72 p=0.089", crp = "3.19 p=0.024"),
  os = c(imdc = "2.78 p=0.042", crp = "3.38 p=0.022", sarcomatoid = "1.77 p=0.18")
)

cox_line <- function(fit, term, label, target) {
  s <- summary(fit)
  row <- s$coefficients[term, ]
  ci <- s$conf.int[term, c("lower .95", "upper .95")]
  show(label, sprintf("HR %.2f (%.2f-%.2f) p=%.4f", row[["exp(coef)"]], ci[[1]], ci[[2]],
                      row[["Pr(>|z|)"]]), target)
}

cox_tables <- function(ep, fx) {
  for (endpoint in c("pfs", "os")) {
    y <- Surv(ep[[paste0(endpoint, "_days")]] / month, ep[[paste0(endpoint, "_event")]])
    cat(sprintf("Table II, %s: univariate Cox (Efron), level vs reference\n", toupper(endpoint)))
    significant <- character(0)
    for (v in names(fx)) {
      fit <- coxph(y ~ fx[[v]], ties = "efron")
      s <- summary(fit)
      term <- rownames(s$coefficients)[1]
      lbl <- sprintf("%s: %s vs %s", v, levels(fx[[v]])[2], levels(fx[[v]])[1])
      cox_line(fit, term, lbl, paper_uni[[endpoint]][[v]])
      show("  likelihood-ratio p / score p",
           sprintf("%.4f / %.4f", s$logtest[["pvalue"]], s$sctest[["pvalue"]]), "")
      if (s$coefficients[term, "Pr(>|z|)"] < 0.05) significant <- c(significant, v)
    }
    cat(sprintf("Table II, %s: multivariate Cox on univariate p < 0.05: %s\n",
                toupper(endpoint), paste(significant, collapse = ", ")))
    fit <- coxph(y ~ ., data = fx[significant], ties = "efron")
    terms <- rownames(summary(fit)$coefficients)
    for (k in seq_along(significant)) {
      v <- significant[k]
      target <- if (v %in% names(paper_multi[[endpoint]])) paper_multi[[endpoint]][[v]] else "-"
      cox_line(fit, terms[k], v, target)
    }
  }
}

table3 <- function(pt, ae) {
  worst <- aggregate(Grade ~ ID + `Adverse event`, data = ae, FUN = max)
  n <- nrow(pt)
  per_patient <- aggregate(Grade ~ ID, data = worst, FUN = max)
  cat("Table III (worst grade per patient per term; all grades / grade >= 3)\n")
  show("Any adverse event", sprintf("%d / %d", nrow(per_patient), sum(per_patient$Grade >= 3)),
       "42 / 16")
  paper <- c("Hand-foot syndrome" = "22 / 5", "Hypertension" = "17 / 4", "Diarrhea" = "13 / 2",
             "Rash" = "12 / 1", "Alopecia" = "9 / 0", "Liver dysfunction" = "9 / 5",
             "Appetite loss" = "6 / 1", "Mucositis" = "5 / 0", "Dysphonia" = "5 / 0")
  for (term in names(paper)) {
    g <- worst$Grade[worst[["Adverse event"]] == term]
    show(term, sprintf("%d (%.1f%%) / %d (%.1f%%)", length(g), 100 * length(g) / n,
                       sum(g >= 3), 100 * sum(g >= 3) / n), paper[[term]])
  }
  other <- setdiff(unique(worst[["Adverse event"]]), names(paper))
  show("Other terms", if (length(other)) paste(other, collapse = ", ") else "none", "none")
  show("Grade 5 events", sum(ae$Grade == 5), "0")
}

main <- function() {
  sheets <- read_sheets(book)
  pt <- sheets$pt
  ae <- sheets$ae
  ep <- endpoints(pt)
  cat(R.version.string, "; survival", format(packageVersion("survival")), "\n")
  cat("Workbook:", book, "\n")
  check_rules(pt, ae)
  starts <- range(pt[["Start of sorafenib"]])
  show("Start of sorafenib, first / last", paste(starts, collapse = " / "), "Aug 2008 / Sep 2016")
  table1(pt)
  response_and_treatment(pt, ep)
  survival_summary(ep)
  cox_tables(ep, factors(pt))
  table3(pt, ae)
}

main()
