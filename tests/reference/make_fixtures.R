# Reference numbers for cohortpress's statistics, from R's survival and stats packages.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/reference/make_fixtures.R
# Writes tests/reference/*.json (every case records its exact R call, its inputs or the CSV
# they came from, and R's results) and tests/reference/data/*.csv (inputs of the survival
# package datasets used). Needs base R and the recommended package survival only.

suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "reference")
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

# ---- a small JSON writer (base R has none) ---------------------------------------------------
# Length-1 atomics are scalars, longer ones (or I(x)) arrays; NA and NaN are null; +-Inf are
# the strings "Inf"/"-Inf"; doubles keep 17 significant digits.
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
  if (is.data.frame(x)) x <- lapply(as.list(x), function(col) I(if (is.factor(col)) as.character(col) else col))
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, "", indent = inner)
    if (is.null(names(x))) {
      return(paste0("[\n", inner, paste(items, collapse = paste0(",\n", inner)), "\n", indent, "]"))
    }
    keys <- json_atom(names(x))
    body <- paste0(keys, ": ", items, collapse = paste0(",\n", inner))
    return(paste0("{\n", inner, body, "\n", indent, "}"))
  }
  atoms <- json_atom(unclass(x))
  if (length(x) == 1 && !inherits(x, "AsIs")) return(atoms)
  paste0("[", paste(atoms, collapse = ", "), "]")
}

write_fixture <- function(name, cases) {
  doc <- list(
    r_version = R.version.string,
    survival_version = as.character(packageVersion("survival")),
    generated_by = "tests/reference/make_fixtures.R",
    cases = cases
  )
  writeLines(to_json(doc), file.path(out_dir, paste0(name, ".json")))
}

# Evaluate a call, keep its text and any warnings R gave.
run_call <- function(expr) {
  warnings <- character()
  value <- withCallingHandlers(
    eval(expr, envir = globalenv()),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  list(value = value, call = paste(deparse(expr, width.cutoff = 500L), collapse = " "),
       warnings = I(warnings))
}

# ---- input data --------------------------------------------------------------------------------
# Survival-package datasets, events coded 0/1, written once as CSV for the tests.
lung_d <- with(survival::lung, data.frame(time, status = status - 1, age, sex, ph_ecog = ph.ecog,
                                           wt_loss = wt.loss))
veteran_d <- with(survival::veteran, data.frame(time, status, trt, celltype = as.character(celltype),
                                                 karno, age, prior))
colon_d <- with(subset(survival::colon, etype == 2),
                data.frame(time, status, rx = as.character(rx), age, sex, nodes))
pbc_d <- with(survival::pbc, data.frame(time, status = as.integer(status == 2),
                                         edema = as.character(edema), age, bili))
datasets <- list(lung = lung_d, veteran = veteran_d, colon = colon_d, pbc = pbc_d)
for (nm in names(datasets)) {
  write.csv(datasets[[nm]], file.path(data_dir, paste0(nm, ".csv")), row.names = FALSE)
}

# Hand-made cases, small enough to sit inline in the JSON.
set.seed(20240501)
hand <- list(
  all_events = data.frame(time = 1:10, status = 1),
  ends_above_half = data.frame(time = c(2, 3, 5, 7, 8, 9, 11, 12), status = c(1, 0, 1, 0, 0, 0, 0, 0)),
  all_censored = data.frame(time = c(3, 5, 8, 13), status = 0),
  heavy_ties = data.frame(time = rep(c(2, 4, 6, 9, 12), times = c(6, 5, 7, 4, 3)),
                          status = c(1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1,
                                     1, 0, 1, 0, 1, 1, 0)),
  plateau_half = data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
                            status = c(1, 1, 1, 1, 1, 0, 0, 1, 0, 0)),
  ends_at_half = data.frame(time = c(1, 2, 3, 4), status = c(1, 1, 0, 0))
)
for (nm in names(hand)) assign(nm, hand[[nm]])
for (nm in names(datasets)) assign(nm, datasets[[nm]])

data_ref <- function(name) {
  if (name %in% names(datasets)) list(dataset = name, csv = paste0("data/", name, ".csv"))
  else list(dataset = name, inputs = hand[[name]])
}

# ---- Kaplan-Meier: pointwise bands at given times, quantiles with CI, full tables ------------------
km_case <- function(data_name, conf_type, times, full_table) {
  fit_expr <- bquote(survfit(Surv(time, status) ~ 1, data = .(as.name(data_name)),
                             conf.type = .(conf_type)))
  res <- run_call(fit_expr)
  assign("fit", res$value, envir = globalenv())
  at <- run_call(bquote(summary(fit, times = .(times), extend = TRUE)))$value
  q_expr <- quote(quantile(fit, probs = c(0.25, 0.5, 0.75)))
  q <- eval(q_expr, envir = globalenv())
  case <- c(data_ref(data_name), list(
    id = paste(data_name, conf_type, sep = "/"), conf_type = conf_type,
    call = c(fit = res$call, at = sprintf("summary(fit, times = %s, extend = TRUE)",
                                          paste(deparse(times), collapse = "")),
             quantile = deparse(q_expr)) |> as.list(),
    n = res$value$n, events = sum(res$value$n.event),
    at = data.frame(time = at$time, n_risk = at$n.risk, surv = at$surv, std_err = at$std.err,
                    lower = at$lower, upper = at$upper),
    quantile = list(probs = I(c(0.25, 0.5, 0.75)), quantile = I(unname(q$quantile)),
                    lower = I(unname(q$lower)), upper = I(unname(q$upper)))
  ))
  if (full_table) {
    s <- summary(res$value, censored = TRUE)
    case$table <- data.frame(time = s$time, n_risk = s$n.risk, n_event = s$n.event,
                             n_censor = s$n.censor, surv = s$surv, std_err = s$std.err,
                             lower = s$lower, upper = s$upper)
  }
  case
}

km_plan <- list(
  lung = list(times = c(0, 5, 100, 200, 365, 500, 730, 1000, 1100), full = FALSE),
  veteran = list(times = c(0, 30, 90, 180, 365, 600, 1000), full = TRUE),
  colon = list(times = c(0, 365, 730, 1461, 2557, 3300), full = FALSE),
  all_events = list(times = c(0, 2.5, 5, 10, 12), full = TRUE),
  ends_above_half = list(times = c(0, 2, 6, 12, 20), full = TRUE),
  all_censored = list(times = c(0, 4, 13, 20), full = TRUE),
  heavy_ties = list(times = c(0, 1, 2, 4, 6, 9, 12, 15), full = TRUE),
  plateau_half = list(times = c(0, 2, 4, 6, 11), full = TRUE),
  ends_at_half = list(times = c(0, 1, 2, 3, 4, 5), full = TRUE)
)
km_cases <- list()
for (nm in names(km_plan)) for (ct in c("log", "log-log", "plain")) {
  km_cases[[length(km_cases) + 1]] <- km_case(nm, ct, km_plan[[nm]]$times, km_plan[[nm]]$full)
}
write_fixture("km", km_cases)

# ---- numbers at risk by group -------------------------------------------------------------------
risk_expr <- quote(summary(survfit(Surv(time, status) ~ sex, data = lung),
                           times = c(0, 200, 400, 600, 800, 1000), extend = TRUE))
rs <- eval(risk_expr)
write_fixture("risk_table", list(c(data_ref("lung"), list(
  id = "lung/sex", call = deparse(risk_expr, width.cutoff = 500L), group = "sex",
  times = I(c(0, 200, 400, 600, 800, 1000)),
  strata = as.character(rs$strata), time = I(rs$time), n_risk = I(rs$n.risk)
))))

# ---- median follow-up by reverse Kaplan-Meier ---------------------------------------------------------
fu_cases <- list()
for (nm in c("lung", "veteran", "colon", "all_censored")) for (ct in c("log", "log-log", "plain")) {
  expr <- bquote(quantile(survfit(Surv(time, 1 - status) ~ 1, data = .(as.name(nm)),
                                  conf.type = .(ct)), probs = 0.5))
  q <- eval(expr)
  fu_cases[[length(fu_cases) + 1]] <- c(data_ref(nm), list(
    id = paste(nm, ct, sep = "/"), conf_type = ct, call = deparse(expr, width.cutoff = 500L),
    median = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper)))
}
write_fixture("followup", fu_cases)

# ---- log-rank (survdiff, rho = 0) ---------------------------------------------------------------------
no_event_group <- data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 8), status = c(1, 0, 1, 1, 0, 0, 0, 0),
                             group = c("a", "a", "a", "b", "b", "c", "c", "c"))
single_patient <- data.frame(time = c(5, 8, 12, 3, 9, 14, 20), status = c(1, 1, 0, 1, 0, 1, 1),
                             group = c("a", "a", "a", "a", "a", "a", "b"))
tied_groups <- cbind(heavy_ties, group = rep(c("x", "y"), length.out = 25))
hand$no_event_group <- no_event_group
hand$single_patient <- single_patient
hand$tied_groups <- tied_groups
lr_plan <- list(c("lung", "sex"), c("veteran", "celltype"), c("colon", "rx"), c("pbc", "edema"),
                c("no_event_group", "group"), c("single_patient", "group"),
                c("tied_groups", "group"))
lr_cases <- list()
for (p in lr_plan) {
  expr <- bquote(survdiff(Surv(time, status) ~ .(as.name(p[2])), data = .(as.name(p[1]))))
  res <- run_call(expr)
  sd <- res$value
  etmp <- sd$exp
  lr_cases[[length(lr_cases) + 1]] <- c(data_ref(p[1]), list(
    id = paste(p, collapse = "/"), call = res$call, group = p[2],
    groups = I(sub("^.*=", "", names(sd$n))), n = I(as.vector(sd$n)),
    observed = I(sd$obs), expected = I(etmp), chisq = sd$chisq,
    df = sum(etmp > 0) - 1, p = sd$pvalue))
}
write_fixture("logrank", lr_cases)

# ---- Cox proportional hazards -------------------------------------------------------------------------
# Each covariate is described as cohortpress describes it; the R formula is built from it:
# categorical -> factor(column, levels = c(reference, others)), continuous -> I(column / per).
cov_spec <- function(name, column, kind, levels = NULL, reference = NULL, per = 1) {
  list(name = name, column = column, kind = kind, levels = if (!is.null(levels)) I(levels),
       reference = reference, per = per)
}
cov_term <- function(s) {
  if (s$kind == "categorical") {
    lv <- c(s$reference, setdiff(s$levels, s$reference))
    sprintf("factor(%s, levels = c(%s))", s$column, paste0("\"", lv, "\"", collapse = ", "))
  } else if (s$per == 1) s$column else sprintf("I(%s/%s)", s$column, format(s$per))
}

no_event_level <- data.frame(time = 1:12, status = c(1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0),
                             group = c("a", "a", "b", "b", "c", "c", "c", "b", "a", "a", "c", "b"),
                             age = c(61, 70, 55, 48, 66, 59, 72, 50, 63, 68, 57, 45))
no_event_level$status[no_event_level$group == "c"] <- 0
single_level <- data.frame(time = c(2, 4, 5, 7, 9, 11), status = c(1, 0, 1, 1, 0, 1),
                           group = "a", age = c(50, 61, 58, 70, 66, 49))
cox_all_censored <- data.frame(time = c(2, 4, 5, 7), status = 0, group = c("a", "b", "a", "b"))
hand$no_event_level <- no_event_level
hand$single_level <- single_level
hand$cox_all_censored <- cox_all_censored
for (nm in c("no_event_level", "single_level", "cox_all_censored", "no_event_group",
             "single_patient", "tied_groups")) assign(nm, hand[[nm]])

ecog <- cov_spec("ecog", "ph_ecog", "categorical", c("0", "1", "2", "3"), "0")
lung_age <- cov_spec("age", "age", "continuous")
lung_age10 <- cov_spec("age", "age", "continuous", per = 10)
lung_sex <- cov_spec("sex", "sex", "categorical", c("1", "2"), "1")
lung_wt <- cov_spec("wt_loss", "wt_loss", "continuous", per = 5)
cell <- cov_spec("celltype", "celltype", "categorical",
                 c("squamous", "smallcell", "adeno", "large"), "squamous")
karno <- cov_spec("karno", "karno", "continuous", per = 10)
trt <- cov_spec("trt", "trt", "categorical", c("1", "2"), "1")
edema <- cov_spec("edema", "edema", "categorical", c("0", "0.5", "1"), "0")
bili <- cov_spec("bili", "bili", "continuous")
rx <- cov_spec("rx", "rx", "categorical", c("Obs", "Lev", "Lev+5FU"), "Obs")
nodes <- cov_spec("nodes", "nodes", "continuous")
grp <- cov_spec("group", "group", "categorical", c("a", "b", "c"), "a")
grp1 <- cov_spec("group", "group", "categorical", c("a", "b"), "a")
grp_ab <- cov_spec("group", "group", "categorical", c("a", "b"), "a")
hage <- cov_spec("age", "age", "continuous")

cox_plan <- list(
  list("lung", list(lung_age)), list("lung", list(lung_age10)), list("lung", list(lung_sex)),
  list("lung", list(ecog)), list("lung", list(lung_age10, lung_sex, ecog, lung_wt)),
  list("veteran", list(cell)), list("veteran", list(trt, cell, karno)),
  list("pbc", list(edema)), list("pbc", list(edema, bili)),
  list("colon", list(rx, cov_spec("age", "age", "continuous", per = 10), nodes)),
  list("tied_groups", list(cov_spec("group", "group", "categorical", c("x", "y"), "x"))),
  list("no_event_level", list(grp)), list("no_event_level", list(grp, hage)),
  list("single_level", list(grp1)), list("single_level", list(grp1, hage)),
  list("cox_all_censored", list(grp_ab))
)
cox_cases <- list()
for (plan in cox_plan) for (ties in c("efron", "breslow")) {
  nm <- plan[[1]]
  specs <- plan[[2]]
  rhs <- paste(vapply(specs, cov_term, ""), collapse = " + ")
  expr <- str2lang(sprintf("coxph(Surv(time, status) ~ %s, data = %s, ties = \"%s\")",
                           rhs, nm, ties))
  res <- tryCatch(run_call(expr), error = function(e) list(error = conditionMessage(e)))
  case <- c(data_ref(nm), list(id = paste(nm, rhs, ties, sep = " | "), ties = ties,
                               covariates = specs))
  if (!is.null(res$error)) {
    cox_cases[[length(cox_cases) + 1]] <- c(case, list(call = deparse(expr, width.cutoff = 500L),
                                                       error = res$error))
    next
  }
  fit <- res$value
  sm <- summary(fit)
  b <- coef(fit)
  V <- vcov(fit)
  ok <- !is.na(b)
  # Joint Wald test of each factor's coefficients (as SAS PHREG's type 3 Wald tests).
  factor_tests <- list()
  assign_idx <- attr(model.matrix(fit), "assign")
  for (k in seq_along(specs)) {
    s <- specs[[k]]
    idx <- which(assign_idx == k & ok)
    if (s$kind == "categorical" && length(s$levels) > 2 && length(idx) > 0) {
      stat <- drop(t(b[idx]) %*% solve(V[idx, idx, drop = FALSE], b[idx]))
      factor_tests[[s$name]] <- list(statistic = stat, df = length(idx),
                                     p = pchisq(stat, length(idx), lower.tail = FALSE))
    }
  }
  cm <- sm$coefficients
  cox_cases[[length(cox_cases) + 1]] <- c(case, list(
    call = res$call, warnings = res$warnings,
    n = fit$n, events = fit$nevent, iter = fit$iter, loglik = I(fit$loglik),
    terms = data.frame(name = names(b), coef = unname(b), se = sqrt(diag(V)),
                       hr = exp(unname(b)), lower = sm$conf.int[, "lower .95"],
                       upper = sm$conf.int[, "upper .95"], p = cm[, "Pr(>|z|)"]),
    logtest = as.list(sm$logtest), sctest = as.list(sm$sctest),
    # summary() rounds the Wald statistic to 2 decimals; the fit keeps it unrounded.
    waldtest = list(test = fit$wald.test, df = sum(ok),
                    pvalue = pchisq(fit$wald.test, sum(ok), lower.tail = FALSE)),
    factor_tests = factor_tests
  ))
}
write_fixture("cox", cox_cases)

# ---- two-group comparisons ---------------------------------------------------------------------------
wx <- list(
  exact_small = list(x = c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30),
                     y = c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.16, 3.14, 1.39)),
  exact_49_30 = list(x = round(rnorm(49, 10, 3), 6), y = round(rnorm(30, 11, 3), 6)),
  ties_small = list(x = c(3, 5, 5, 7, 9, 2, 5), y = c(5, 6, 8, 8, 10, 4)),
  approx_50 = list(x = round(rnorm(50, 0, 1), 6), y = round(rnorm(12, 0.6, 1), 6)),
  approx_ties_large = list(x = sample(1:8, 60, replace = TRUE), y = sample(2:9, 55, replace = TRUE)),
  equal_medians = list(x = c(1, 2, 3, 4), y = c(1.5, 2.5, 3.5, 0.5)),
  all_tied = list(x = c(2, 2, 2), y = c(2, 2)),
  # the exact distribution's far tails and its smallest and lopsided shapes
  exact_separated = list(x = as.numeric(1:49), y = as.numeric(50:98)),
  exact_separated_upper = list(x = as.numeric(50:98), y = as.numeric(1:49)),
  exact_one_each = list(x = 2, y = 1),
  exact_1_49 = list(x = 25.5, y = as.numeric(1:49)),
  exact_near_tail = list(x = c(1, 2, 3, 5, 4.5, 30, 31), y = c(6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)),
  approx_far_tail = list(x = as.numeric(1:60), y = as.numeric(61:130))
)
wx_cases <- list()
for (nm in names(wx)) {
  x <- wx[[nm]]$x
  y <- wx[[nm]]$y
  res <- run_call(quote(wilcox.test(x, y)))
  wx_cases[[length(wx_cases) + 1]] <- list(id = nm, call = res$call, x = I(x), y = I(y),
                                            method = res$value$method, exact = !grepl("continuity", res$value$method),
                                            statistic = unname(res$value$statistic),
                                            p = res$value$p.value, warnings = res$warnings)
}

fx <- list(
  t2x2_a = matrix(c(3, 1, 1, 3), 2),
  t2x2_b = matrix(c(10, 3, 2, 15), 2),
  t2x2_zero = matrix(c(0, 5, 6, 2), 2),
  t2x2_thyroid = matrix(c(9, 4, 3, 10), 2),
  t2x3 = matrix(c(5, 2, 4, 6, 1, 8), 2),
  t3x3 = matrix(c(3, 1, 0, 2, 4, 2, 1, 2, 6), 3),
  t2x5 = matrix(c(2, 0, 5, 3, 7, 6, 1, 8, 0, 2), 2),
  t4x3 = matrix(c(4, 2, 1, 0, 3, 5, 2, 1, 1, 2, 6, 4), 4),
  t2x4_zero_col = matrix(c(3, 4, 0, 0, 5, 1, 2, 6), 2),
  t3x4_larger = matrix(c(12, 8, 5, 9, 11, 7, 4, 10, 13, 6, 9, 8), 3),
  t3x4_n160 = matrix(c(20, 10, 7, 15, 18, 11, 12, 14, 16, 8, 9, 20), 3)
)
fx_cases <- list()
for (nm in names(fx)) {
  tab <- fx[[nm]]
  res <- run_call(quote(fisher.test(tab)))
  fx_cases[[length(fx_cases) + 1]] <- list(id = nm, call = res$call,
                                            table = lapply(seq_len(nrow(tab)), function(i) I(tab[i, ])),
                                            p = res$value$p.value)
}

big <- matrix(c(30, 25, 18, 22, 27, 19, 21, 24, 26, 17, 23, 28, 20, 16, 29, 25, 22, 18,
                19, 26, 24, 21, 17, 28, 27, 20, 23, 25, 18, 22), 5)
chisq_expr <- quote(chisq.test(big, correct = FALSE))
cs <- eval(chisq_expr)
chisq_case <- list(id = "big_5x6", call = deparse(chisq_expr), 
                   table = lapply(seq_len(nrow(big)), function(i) I(big[i, ])),
                   statistic = unname(cs$statistic), df = unname(cs$parameter), p = cs$p.value)

kw <- list(x = c(2.9, 3.0, 2.5, 2.6, 3.2, 3.8, 2.7, 4.0, 2.4, 2.8, 3.4, 3.7, 2.2, 2.0, 3.0),
           g = rep(c("a", "b", "c"), each = 5))
kw_expr <- quote(kruskal.test(kw$x, factor(kw$g)))
kt <- eval(kw_expr)
kw_case <- list(id = "three_groups", call = deparse(kw_expr), x = I(kw$x), g = I(kw$g),
                statistic = unname(kt$statistic), df = unname(kt$parameter), p = kt$p.value)
write_fixture("compare", list(wilcox = wx_cases, fisher = fx_cases, chisq = list(chisq_case),
                              kruskal = list(kw_case)))

# ---- exact binomial confidence intervals ---------------------------------------------------------------
bn <- list(c(0, 10), c(10, 10), c(3, 26), c(21, 26), c(16, 42), c(1, 1), c(0, 1), c(200, 1000))
bn_cases <- list()
for (kn in bn) for (cl in c(0.95, 0.9)) {
  expr <- bquote(binom.test(.(kn[1]), .(kn[2]), conf.level = .(cl))$conf.int)
  ci <- eval(expr)
  bn_cases[[length(bn_cases) + 1]] <- list(k = kn[1], n = kn[2], conf_level = cl,
                                            call = deparse(expr), lower = ci[1], upper = ci[2])
}
write_fixture("proportions", bn_cases)
cat("fixtures written to", out_dir, "\n")
