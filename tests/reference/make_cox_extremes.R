# Reference numbers for Cox models on pathological data, where R's Newton-Raphson (coxfit6)
# overreaches: exp(x'beta) overflows or underflows on a step, the step is taken back, the
# coefficient may run off to infinity, the iterations may run out.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/reference/make_cox_extremes.R
# Writes tests/reference/cox_extremes.json: per case the inputs (inline), the exact R call,
# R's warnings, whether it converged, iterations, both log-likelihoods, coefficients and
# standard errors. Needs base R and the recommended package survival only.

suppressPackageStartupMessages(library(survival))

num <- function(v) ifelse(is.na(v), "null", sprintf("%.17g", v))
arr <- function(v) paste0("[", paste(num(v), collapse = ", "), "]")
str <- function(v) paste0("\"", gsub("\"", "\\\\\"", v), "\"")
strs <- function(v) paste0("[", paste(vapply(v, str, ""), collapse = ", "), "]")

cases <- list(
  # An outlying covariate (1,000 among values of 0 to 1; the patient last in time, alone in
  # its risk set): steps whose exp(x'beta) underflows to 0 are taken back; out of iterations.
  outlier = data.frame(time = c(2, 5, 33, 49, 46, 35, 46, 22, 27, 32, 20),
                       status = c(0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1),
                       x = c(0.1, 0.1, 1, 1000, 0, 0.1, 1, 0.1, 1, 0.1, 0)),
  # The same kind of outlier with tied events, so that Efron and Breslow differ.
  outlier_ties = data.frame(time = c(2, 5, 33, 49, 46, 35, 46, 22, 22, 32, 20, 5, 33),
                            status = c(0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0),
                            x = c(0.1, 0.1, 1, 1000, 0, 0.1, 1, 0.1, 1, 0.1, 0, 0.5, 2)),
  # A huge value (1e6 among values of 0 to 2.4).
  huge = data.frame(time = c(3, 8, 8, 12, 15, 20, 21, 25, 30, 34, 40, 41, 47, 52, 60),
                    status = c(1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1),
                    x = c(2.1, 0.4, 1.3, 0.8, 1e6, 0.2, 1.7, 0.9, 1.1, 0.5, 2.4, 0.3, 1.5, 0.7, 1.0)),
  # Every event has a larger x than every patient still at risk without one: the coefficient
  # runs off to infinity and the log-likelihood to 0, which never converges relatively.
  separated = data.frame(time = 1:12, status = c(1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0),
                         x = c(9.1, 8.7, 8.2, 1.0, 7.9, 0.8, 7.5, 0.5, 0.4, 0.3, 7.0, 0.1)),
  # Nearly separated, with tied events.
  separated_ties = data.frame(time = c(1, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9),
                              status = c(1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0),
                              x = c(9.1, 8.7, 8.2, 7.6, 1.0, 0.8, 7.5, 0.5, 6.9, 0.4, 0.3, 0.1))
)
# Two covariates: the outlier and the separation each beside an ordinary covariate.
cases$two <- cbind(cases$outlier_ties,
                   z = c(1.2, 0.3, -0.5, 0.8, 1.9, -1.1, 0.4, 0.0, -0.7, 1.3, 0.6, -0.2, 0.9))
cases$two_separated <- cbind(cases$separated,
                             z = c(0.5, -1.2, 0.3, 0.9, -0.4, 1.1, 0.0, -0.8, 0.6, 1.4, -0.3, 0.2))

out <- character()
for (name in names(cases)) for (ties in c("efron", "breslow")) {
  d <- cases[[name]]
  covariates <- intersect(c("x", "z"), names(d))
  assign(name, d)
  expr <- str2lang(sprintf("coxph(Surv(time, status) ~ %s, data = %s, ties = \"%s\")",
                           paste(covariates, collapse = " + "), name, ties))
  warnings <- character()
  fit <- withCallingHandlers(eval(expr), warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  # R's path: the fit coxph returns when stopped after 1, 2, ... 20 iterations (the best beta
  # so far and its log-likelihood), for the cases whose steps overreach.
  path <- character()
  if (name %in% c("outlier", "separated", "two_separated")) {
    for (k in 1:20) {
      stopped_expr <- expr
      stopped_expr$iter.max <- k  # coxph passes it on to coxph.control
      stopped <- suppressWarnings(eval(stopped_expr))
      path <- c(path, sprintf("{\"iter_max\": %d, \"coef\": %s, \"loglik\": %s}", k,
                              arr(unname(coef(stopped))), num(stopped$loglik[2])))
    }
  }
  inputs <- paste(vapply(names(d), function(k) sprintf("%s: %s", str(k), arr(d[[k]])), ""),
                  collapse = ", ")
  out <- c(out, sprintf(paste0(
    "{\"id\": %s, \"ties\": %s, \"covariates\": %s, \"call\": %s, \"inputs\": {%s}, ",
    "\"warnings\": %s, \"converged\": %s, \"iter\": %d, \"loglik\": %s, \"coef\": %s, ",
    "\"se\": %s, \"path\": [%s]}"),
    str(paste(name, ties, sep = " | ")), str(ties), strs(covariates),
    str(paste(deparse(expr, width.cutoff = 500L), collapse = " ")), inputs,
    strs(warnings), tolower(!any(grepl("Ran out of iterations", warnings))), fit$iter,
    arr(fit$loglik), arr(unname(coef(fit))), arr(unname(sqrt(diag(fit$var)))),
    paste(path, collapse = ", ")))
}

json <- sprintf(paste0("{\"r_version\": %s, \"survival_version\": %s, ",
                       "\"generated_by\": \"tests/reference/make_cox_extremes.R\", ",
                       "\"cases\": [\n%s\n]}\n"),
                str(R.version.string), str(as.character(packageVersion("survival"))),
                paste(out, collapse = ",\n"))
writeLines(json, file.path("tests", "reference", "cox_extremes.json"), sep = "")
