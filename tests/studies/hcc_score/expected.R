# Expected numbers of the hcc_score test study, from its workbook, with R's survival package.
#
#     Rscript tests/studies/hcc_score/expected.R     (from the repository root)
#
# Writes tests/studies/hcc_score/expected.json: entries keyed by their results.json path, each
# with the R call. The study's rules are applied here independently of cohortpress: exclusions
# in order (Child–Pugh score >= 10, ECOG PS 3; a missing score cannot be checked and excludes),
# ALBI = 0.66 log10(bilirubin µmol/L) - 0.085 albumin g/L graded at -2.60 and -1.39 (closed
# right), Child–Pugh A below 7 points, PFS censored at the last imaging (at the start without
# one), everything after the cutoff censored at the cutoff.

dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(dir, "..", "expected_lib.R"))
book <- normalizePath(file.path(dir, "data.xlsx"))
cutoff <- as.Date("2024-03-31")

all <- read_sheet(book, "patients")
ae <- read_sheet(book, "adverse events")
score <- as.numeric(all[["Child-Pugh score"]])
ecog_all <- as.integer(all[["ECOG PS"]])
add("flow.screened", nrow(all), "nrow(patients)")
add("flow.excluded_by.with_child_pugh_class_c", sum(!is.na(score) & score >= 10), "sum(score >= 10)")
add("flow.excluded_by.with_ecog_ps_3", sum(!is.na(score) & score < 10 & ecog_all >= 3),
    "sum(score < 10 & ecog >= 3)")
add("flow.excluded_by.with_insufficient_data_for_the_eligibility_criteria", sum(is.na(score)),
    "sum(is.na(score))")
pt <- all[!is.na(score) & score < 10 & ecog_all < 3, ]
add("n", nrow(pt), "nrow(analysed)")

d <- function(col) as.Date(substr(pt[[col]], 1, 10))
start <- d("Lenvatinib start")
death <- d("Death")
prog <- d("Progression (mRECIST)")
last <- d("Last follow-up")
imaging <- d("Last imaging")
imaging[is.na(imaging)] <- start[is.na(imaging)]
os <- survival_time(start, death, last, cutoff)
pfs <- survival_time(start, pmin(prog, death, na.rm = TRUE), imaging, cutoff)

albi <- 0.66 * log10(as.numeric(pt[["T-Bil (µmol/L)"]])) - 0.085 * as.numeric(pt[["Alb (g/L)"]])
albi_grade <- cut(albi, c(-Inf, -2.60, -1.39, Inf), right = TRUE,
                  labels = c("grade_1", "grade_2", "grade_3"))
child_pugh <- factor(ifelse(as.numeric(pt[["Child-Pugh score"]]) < 7, "a", "b"), levels = c("a", "b"))
ecog <- as.integer(pt[["ECOG PS"]])
data <- data.frame(
  os_time = os$time, os_status = os$status, pfs_time = pfs$time, pfs_status = pfs$status,
  albi_grade = albi_grade, child_pugh = child_pugh,
  age = factor(ifelse(as.numeric(pt$Age) >= 75, ">=75", "<75"), levels = c("<75", ">=75")),
  etiology = factor(ifelse(pt$Etiology %in% c("HBV", "HCV"), "Viral", "Non-viral"),
                    levels = c("Non-viral", "Viral")),
  ecog_group = factor(ifelse(ecog >= 2, ">=2", as.character(ecog)), levels = c("0", "1", ">=2")),
  bclc = factor(sub("^BCLC-", "", pt[["BCLC stage"]]), levels = c("B", "C")),
  afp = factor(ifelse(as.numeric(pt[["AFP (ng/mL)"]]) >= 400, ">=400", "<400"),
               levels = c("<400", ">=400"))
)
add("characteristics.albi.median", median(albi, na.rm = TRUE), "median(albi, na.rm = TRUE)")
add("characteristics.albi.q1", quantile(albi, 0.25, na.rm = TRUE, type = 7), "quantile(albi, 0.25)")
add("characteristics.albi.q3", quantile(albi, 0.75, na.rm = TRUE, type = 7), "quantile(albi, 0.75)")
for (g in levels(albi_grade)) {
  add(sprintf("characteristics.albi_grade.%s.n", g), sum(albi_grade == g, na.rm = TRUE),
      sprintf("sum(albi_grade == '%s')", g))
}
add_followup(os$time, os$status)

# Univariate Cox models, one per covariate (results.json keys of their terms).
univariate <- list(
  age = "age_75", etiology = "etiology_viral", ecog_group = c("ecog_group_1", "ecog_group_2"),
  child_pugh = "child_pugh_b", bclc = "bclc_c",
  albi_grade = c("albi_grade_grade_2", "albi_grade_grade_3"), afp = "afp_400_ng_ml"
)
by <- list(os = c("albi_grade", "child_pugh"), pfs = c("albi_grade"))
for (e in list(list("os", c(12, 24)), list("pfs", c(6, 12)))) {
  kind <- e[[1]]
  times <- e[[2]]
  surv <- sprintf("Surv(%s_time, %s_status)", kind, kind)
  fit <- survfit(as.formula(paste(surv, "~ 1")), data = data, conf.type = "log-log")
  call <- sprintf('survfit(%s ~ 1, conf.type = "log-log")', surv)
  add_km(kind, fit, call = call)
  add_landmarks(kind, fit, times, call = call)
  for (factor in by[[kind]]) {
    f <- as.formula(paste(surv, "~", factor))
    groups <- survfit(f, data = data, conf.type = "log-log")
    call <- sprintf('survfit(%s ~ %s, conf.type = "log-log")', surv, factor)
    lv <- levels(data[[factor]])
    for (level in lv) {
      key <- sprintf("%s.by.%s.%s", kind, factor, level)
      add_km(key, groups, paste0(factor, "=", level), call)
      add_landmarks(key, groups, times, paste0(factor, "=", level), call)
    }
    add_logrank(sprintf("%s.by.%s", kind, factor), f, data,
                sprintf("survdiff(%s ~ %s)", surv, factor))
    add_cox_terms(sprintf("%s.by.%s.%s", kind, factor, lv[-1]), coxph(f, data = data),
                  sprintf("coxph(%s ~ %s)", surv, factor))
  }
  for (cov in names(univariate)) {
    f <- as.formula(paste(surv, "~", cov))
    model <- coxph(f, data = data)
    call <- sprintf("coxph(%s ~ %s)", surv, cov)
    add_cox_terms(sprintf("%s.cox.%s.terms.%s", kind, cov, univariate[[cov]]), model, call)
    add(sprintf("%s.cox.%s.wald_p", kind, cov), summary(model)$waldtest[["pvalue"]],
        paste0("summary(", call, ")$waldtest"))
    add(sprintf("%s.cox.%s.n", kind, cov), model$n, paste0(call, "$n"))
  }
}
# OS: the factors whose univariate Wald p is below 0.05 (Child–Pugh class, ALBI grade).
multi <- coxph(Surv(os_time, os_status) ~ child_pugh + albi_grade, data = data)
add_cox_terms(paste0("os.multivariate.terms.", c("child_pugh_b", "albi_grade_grade_2", "albi_grade_grade_3")),
              multi, "coxph(Surv(os_time, os_status) ~ child_pugh + albi_grade)")
add("os.multivariate.n", multi$n, "coxph(Surv(os_time, os_status) ~ child_pugh + albi_grade)$n")

response <- pt[["Best response (mRECIST)"]]
add_proportion("response.orr", sum(response %in% c("CR", "PR")), nrow(pt))

terms <- c(hfsr = "hand_foot_skin_reaction", "hand-foot skin reaction" = "hand_foot_skin_reaction",
           "appetite loss" = "decreased_appetite", "decreased appetite" = "decreased_appetite",
           diarrhoea = "diarrhea")
ae <- ae[ae[["Case ID"]] %in% pt[["Case ID"]], ]
term <- tolower(ae[["AE term"]])
term <- ifelse(term %in% names(terms), terms[term], term)
grade <- as.integer(ae$Grade)
worst <- aggregate(grade ~ id + term, data = data.frame(id = ae[["Case ID"]], term, grade), FUN = max)
for (t in unique(worst$term)) {
  rows <- worst[worst$term == t, ]
  add(sprintf("ae.terms.%s.n", t), nrow(rows), sprintf("patients with %s (any grade)", t))
  add(sprintf("ae.terms.%s.severe", t), sum(rows$grade >= 3), sprintf("patients with %s grade >= 3", t))
}
add("ae.any.n", length(unique(worst$id)), "patients with any adverse event")
add("ae.severe.n", length(unique(worst$id[worst$grade >= 3])), "patients with a grade >= 3 event")

write_expected(file.path(dir, "expected.json"))
