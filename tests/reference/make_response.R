# Reference response rates for tests/test_response_criteria.py, counted and bounded by R.
#
# Run by hand from the repository root (the tests do not need R):
#     Rscript tests/reference/make_response.R
# The cohort is the six patients of tests/defects.py (best response and progression-free time
# in days from treatment start to progression, death or last contact), with patient 6 given
# no best response. ORR = CR + PR, DCR = CR + PR + SD, CBR = CR + PR + SD with PFS longer than
# the minimum (strict, 8 months of 30.4375 days); denominators are all six patients.

best <- c("SD", "PR", "SD", "PD", "SD", NA)
start <- as.Date(c("2019-01-10", "2019-03-05", "2019-06-01", "2019-07-15", "2020-01-20", "2020-05-05"))
stop_ <- as.Date(c("2019-08-20", "2021-04-30", "2021-05-20", "2019-11-01", "2021-03-01", "2021-02-02"))
pfs_days <- as.numeric(stop_ - start)
n <- length(best)
resp <- best %in% c("CR", "PR")
stable <- best %in% "SD"
lasting <- pfs_days > 8 * 30.4375
counts <- list(orr = sum(resp), dcr = sum(resp | stable), cbr = sum(resp | (stable & lasting)))

case <- function(name) {
  k <- counts[[name]]
  ci <- binom.test(k, n, conf.level = 0.95)$conf.int
  sprintf(
    '    "%s": {"k": %d, "n": %d, "call": "binom.test(%d, %d)$conf.int", "lower": %.17g, "upper": %.17g}',
    name, k, n, k, n, ci[1], ci[2]
  )
}
lines <- c(
  "{",
  sprintf('  "r_version": "%s",', R.version.string),
  '  "generated_by": "tests/reference/make_response.R",',
  '  "rates": {',
  paste(sapply(c("orr", "dcr", "cbr"), case), collapse = ",\n"),
  "  }",
  "}"
)
writeLines(lines, file.path("tests", "reference", "response_rates.json"))
