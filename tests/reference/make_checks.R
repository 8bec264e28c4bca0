# Reference numbers for what a statistician checks a report's results.json against: per Cox
# term z; per model the log-likelihoods and Harrell's concordance with its standard error; the
# log-rank table as survdiff prints it; numbers at risk by group at fixed times; the summaries
# of a continuous Table I row.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/reference/make_checks.R
# Writes tests/reference/checks.json from the CSVs in tests/reference/data/ (written by
# make_fixtures.R) and a few inline cases. Needs base R and the recommended package survival.

suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "reference")
read_data <- function(name) read.csv(file.path(out_dir, "data", paste0(name, ".csv")))
lung <- read_data("lung")
veteran <- read_data("veteran")
colon <- read_data("colon")
pbc <- read_data("pbc")

# ---- a small JSON writer (base R has none; as in make_fixtures.R) -----------------------------
json_atom <- function(v) {
  if (is.logical(v)) return(ifelse(is.na(v), "null", ifelse(v, "true", "false")))
  if (is.numeric(v)) {
    txt <- sprintf("%.17g", as.double(v))
    txt[is.infinite(v)] <- ifelse(v[is.infinite(v)] > 0, "\"Inf\"", "\"-Inf\"")
    txt[is.na(v)] <- "null"
    return(txt)
  }
  v <- as.character(v)
  esc <- gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", v))
  ifelse(is.na(v), "null", paste0("\"", esc, "\""))
}

to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, "", indent = inner)
    if (is.null(names(x))) {
      return(paste0("[\n", inner, paste(items, collapse = paste0(",\n", inner)), "\n", indent, "]"))
    }
    body <- paste0(json_atom(names(x)), ": ", items, collapse = paste0(",\n", inner))
    return(paste0("{\n", inner, body, "\n", indent, "}"))
  }
  atoms <- json_atom(unclass(x))
  if (length(x) == 1 && !inherits(x, "AsIs")) return(atoms)
  paste0("[", paste(atoms, collapse = ", "), "]")
}

call_text <- function(expr) paste(deparse(expr, width.cutoff = 500L), collapse = " ")

# ---- Cox: z, log-likelihoods, concordance ------------------------------------------------------
# Covariates as cohortpress describes them (see make_fixtures.R); the formula is built from them.
cov_spec <- function(name, kind, levels = NULL, reference = NULL, per = 1) {
  list(name = name, column = name, kind = kind, levels = if (!is.null(levels)) I(levels),
       reference = reference, per = per)
}
cov_term <- function(s) {
  if (s$kind == "categorical") {
    lv <- c(s$reference, setdiff(s$levels, s$reference))
    sprintf("factor(%s, levels = c(%s))", s$column, paste0("\"", lv, "\"", collapse = ", "))
  } else if (s$per == 1) s$column else sprintf("I(%s/%s)", s$column, format(s$per))
}

# Events and censored times tied with each other, and a covariate with few values: every kind
# of tie the concordance counts (tied.x, tied.y, tied.xy, an event and a censored time at once).
ties_both <- data.frame(
  time = c(2, 2, 2, 3, 3, 5, 5, 5, 5, 8, 8, 9, 11, 11, 11, 14, 14, 20),
  status = c(1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0),
  group = c("a", "b", "a", "a", "a", "b", "b", "c", "c", "a", "b", "c", "a", "a", "c", "b", "c", "a"),
  score = c(1, 2, 2, 1, 3, 2, 2, 3, 1, 1, 2, 3, 1, 1, 2, 2, 3, 1)
)
inline <- list(ties_both = ties_both)

ecog <- cov_spec("ph_ecog", "categorical", c("0", "1", "2", "3"), "0")
cell <- cov_spec("celltype", "categorical", c("squamous", "smallcell", "adeno", "large"), "squamous")
cox_plan <- list(
  list("lung", list(cov_spec("age", "continuous"))),
  list("lung", list(cov_spec("sex", "categorical", c("1", "2"), "1"))),
  list("lung", list(cov_spec("age", "continuous", per = 10), cov_spec("sex", "categorical", c("1", "2"), "1"),
                    ecog, cov_spec("wt_loss", "continuous", per = 5))),
  list("veteran", list(cell)),
  list("veteran", list(cov_spec("karno", "continuous", per = 10))),
  list("veteran", list(cov_spec("trt", "categorical", c("1", "2"), "1"), cell,
                       cov_spec("karno", "continuous", per = 10))),
  list("pbc", list(cov_spec("edema", "categorical", c("0", "0.5", "1"), "0"), cov_spec("bili", "continuous"))),
  list("colon", list(cov_spec("rx", "categorical", c("Obs", "Lev", "Lev+5FU"), "Obs"),
                     cov_spec("age", "continuous", per = 10), cov_spec("nodes", "continuous"))),
  list("ties_both", list(cov_spec("group", "categorical", c("a", "b", "c"), "a"))),
  list("ties_both", list(cov_spec("score", "continuous"))),
  list("ties_both", list(cov_spec("group", "categorical", c("a", "b", "c"), "a"), cov_spec("score", "continuous")))
)
cox_cases <- list()
for (plan in cox_plan) for (ties in c("efron", "breslow")) {
  nm <- plan[[1]]
  specs <- plan[[2]]
  rhs <- paste(vapply(specs, cov_term, ""), collapse = " + ")
  expr <- str2lang(sprintf("coxph(Surv(time, status) ~ %s, data = %s, ties = \"%s\")", rhs, nm, ties))
  fit <- eval(expr)
  sm <- summary(fit)
  cm <- sm$coefficients
  conc <- fit$concordance
  cox_cases[[length(cox_cases) + 1]] <- c(
    if (nm %in% names(inline)) list(dataset = nm, inputs = inline[[nm]])
    else list(dataset = nm, csv = paste0("data/", nm, ".csv")),
    list(
      id = paste(nm, rhs, ties, sep = " | "), ties = ties, covariates = specs,
      call = call_text(expr),
      n = fit$n, events = fit$nevent,
      coef = I(unname(cm[, "coef"])), se = I(unname(cm[, "se(coef)"])),
      z = I(unname(cm[, "z"])), p = I(unname(cm[, "Pr(>|z|)"])),
      loglik = I(fit$loglik),
      concordance = unname(sm$concordance["C"]), concordance_se = unname(sm$concordance["se(C)"]),
      pairs = as.list(conc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")])
    ))
}

# A level without events: its coefficient runs off to infinity (R warns), cohortpress reports
# no HR for it, yet the concordance of the fit's linear predictor is still defined.
monotone <- data.frame(time = 1:12, status = c(1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0),
                       group = c("a", "a", "b", "b", "c", "c", "c", "b", "a", "a", "c", "b"),
                       age = c(61, 70, 55, 48, 66, 59, 72, 50, 63, 68, 57, 45))
monotone$status[monotone$group == "c"] <- 0
monotone_expr <- quote(coxph(Surv(time, status) ~ factor(group) + age, data = monotone))
monotone_fit <- suppressWarnings(eval(monotone_expr))
monotone_case <- list(
  id = "monotone", inputs = monotone, call = call_text(monotone_expr),
  covariates = list(cov_spec("group", "categorical", c("a", "b", "c"), "a"), cov_spec("age", "continuous")),
  concordance = unname(summary(monotone_fit)$concordance["C"]),
  concordance_se = unname(summary(monotone_fit)$concordance["se(C)"]))

# ---- concordance of a given score (survival::concordance, reverse = TRUE as coxph uses it) -------
conc_plan <- list(c("veteran", "karno"), c("veteran", "age"), c("lung", "age"), c("pbc", "bili"),
                  c("colon", "nodes"), c("ties_both", "score"))
conc_cases <- list()
for (p in conc_plan) {
  expr <- str2lang(sprintf("concordance(Surv(time, status) ~ %s, data = %s, reverse = TRUE)", p[2], p[1]))
  cf <- eval(expr)
  conc_cases[[length(conc_cases) + 1]] <- c(
    if (p[1] %in% names(inline)) list(dataset = p[1], inputs = inline[[p[1]]])
    else list(dataset = p[1], csv = paste0("data/", p[1], ".csv")),
    list(id = paste(p, collapse = "/"), call = call_text(expr), score = p[2],
         concordance = unname(cf$concordance), se = sqrt(unname(cf$var)),
         pairs = as.list(cf$count)))
}

# ---- log-rank as survdiff prints it -----------------------------------------------------------------
lr_plan <- list(c("lung", "sex"), c("veteran", "celltype"), c("colon", "rx"), c("pbc", "edema"),
                c("ties_both", "group"))
lr_cases <- list()
for (p in lr_plan) {
  expr <- str2lang(sprintf("survdiff(Surv(time, status) ~ %s, data = %s)", p[2], p[1]))
  sd <- eval(expr)
  o <- sd$obs
  e <- sd$exp
  lr_cases[[length(lr_cases) + 1]] <- c(
    if (p[1] %in% names(inline)) list(dataset = p[1], inputs = inline[[p[1]]])
    else list(dataset = p[1], csv = paste0("data/", p[1], ".csv")),
    list(id = paste(p, collapse = "/"), call = call_text(expr), group = p[2],
         groups = I(sub("^.*=", "", names(sd$n))), n = I(as.vector(sd$n)), observed = I(o),
         expected = I(e), variance = I(diag(sd$var)), oe2_e = I((o - e)^2 / e),
         oe2_v = I((o - e)^2 / diag(sd$var)), chisq = sd$chisq))
}

# ---- numbers at risk by group at fixed times ---------------------------------------------------------
risk_plan <- list(
  list("veteran", "celltype", c(0, 100, 200, 400, 600, 800, 1000)),
  list("colon", "rx", c(0, 500, 1000, 1500, 2000, 2500, 3000, 3500)),
  list("ties_both", "group", c(0, 2, 3, 5, 8, 11, 14, 20, 25))
)
risk_cases <- list()
for (p in risk_plan) {
  expr <- str2lang(sprintf("summary(survfit(Surv(time, status) ~ %s, data = %s), times = c(%s), extend = TRUE)",
                           p[[2]], p[[1]], paste(p[[3]], collapse = ", ")))
  s <- eval(expr)
  risk_cases[[length(risk_cases) + 1]] <- c(
    if (p[[1]] %in% names(inline)) list(dataset = p[[1]], inputs = inline[[p[[1]]]])
    else list(dataset = p[[1]], csv = paste0("data/", p[[1]], ".csv")),
    list(id = paste(p[[1]], p[[2]], sep = "/"), call = paste0(call_text(expr), "$n.risk"),
         group = p[[2]], times = I(p[[3]]), strata = I(sub("^.*=", "", as.character(s$strata))),
         time = I(s$time), n_risk = I(s$n.risk)))
}

# ---- a continuous Table I row --------------------------------------------------------------------------
summary_plan <- list(c("lung", "wt_loss"), c("lung", "age"), c("veteran", "karno"), c("pbc", "bili"),
                     c("colon", "nodes"))
summary_cases <- list()
for (p in summary_plan) {
  x <- get(p[1])[[p[2]]]
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, na.rm = TRUE)
  summary_cases[[length(summary_cases) + 1]] <- list(
    id = paste(p, collapse = "/"), dataset = p[1], csv = paste0("data/", p[1], ".csv"), column = p[2],
    call = sprintf(paste("x <- %s$%s; c(n = sum(!is.na(x)), missing = sum(is.na(x)), mean(x, na.rm = TRUE),",
                         "sd(x, na.rm = TRUE), quantile(x, c(0.25, 0.5, 0.75), type = 7, na.rm = TRUE),",
                         "range(x, na.rm = TRUE))"), p[1], p[2]),
    n = sum(!is.na(x)), missing = sum(is.na(x)), mean = mean(x, na.rm = TRUE),
    sd = sd(x, na.rm = TRUE), q1 = unname(q[1]), median = unname(q[2]), q3 = unname(q[3]),
    min = min(x, na.rm = TRUE), max = max(x, na.rm = TRUE))
}

doc <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  generated_by = "tests/reference/make_checks.R",
  cox = cox_cases, cox_monotone = list(monotone_case), concordance = conc_cases, logrank = lr_cases, risk = risk_cases,
  summaries = summary_cases
)
writeLines(to_json(doc), file.path(out_dir, "checks.json"))
cat("written", file.path(out_dir, "checks.json"), "\n")
