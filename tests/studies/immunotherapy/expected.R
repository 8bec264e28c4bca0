# Expected numbers of the immunotherapy test study, from its workbook, with R's survival package.
#
#     Rscript tests/studies/immunotherapy/expected.R     (from the repository root)
#
# Writes tests/studies/immunotherapy/expected.json: entries keyed by their results.json path,
# each with the R call. The workbook is read as the hospital wrote it (DD/MM/YYYY text dates,
# "PS 1", "G3", irAE spellings) and mapped here, independently of cohortpress.

dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(dir, "..", "expected_lib.R"))
book <- normalizePath(file.path(dir, "data.xlsx"))
cutoff <- as.Date("2023-06-30")

pt <- read_sheet(book, "Pembro NSCLC")
ae <- read_sheet(book, "irAEs")
d <- function(col) as.Date(pt[[col]], format = "%d/%m/%Y")
start <- d("1st dose pembro")
death <- d("Date of death")
prog <- d("PD date")
last <- d("Last seen alive")

os <- survival_time(start, death, last, cutoff)
pfs <- survival_time(start, pmin(prog, death, na.rm = TRUE), last, cutoff)
tps <- as.numeric(pt[["PD-L1 TPS (%)"]])
# PD-L1 TPS classes (closed left): <1%, 1-49%, >=50%; results.json keys 1, 1_49, 50.
group <- factor(ifelse(tps < 1, "1", ifelse(tps < 50, "1_49", "50")), levels = c("1", "1_49", "50"))
ecog <- sub("^PS ", "", pt[["ECOG"]])
ecog12 <- factor(ifelse(ecog == "0", "0", "1-2"), levels = c("0", "1-2"))
data <- data.frame(os_time = os$time, os_status = os$status, pfs_time = pfs$time,
                   pfs_status = pfs$status, group = group, ecog12 = ecog12)

add("n", nrow(pt), "nrow(patients)")
add_followup(os$time, os$status)

for (e in list(list("os", c(12, 24)), list("pfs", c(6, 12)))) {
  kind <- e[[1]]
  times <- e[[2]]
  f1 <- as.formula(sprintf("Surv(%s_time, %s_status) ~ 1", kind, kind))
  fg <- as.formula(sprintf("Surv(%s_time, %s_status) ~ group", kind, kind))
  fit <- survfit(f1, data = data, conf.type = "log-log")
  call <- sprintf('survfit(Surv(%s_time, %s_status) ~ 1, conf.type = "log-log")', kind, kind)
  add_km(kind, fit, call = call)
  add_landmarks(kind, fit, times, call = call)
  by <- survfit(fg, data = data, conf.type = "log-log")
  call <- sprintf('survfit(Surv(%s_time, %s_status) ~ pdl1_group, conf.type = "log-log")', kind, kind)
  for (level in levels(group)) {
    key <- sprintf("%s.by.pdl1_group.%s", kind, level)
    add_km(key, by, paste0("group=", level), call)
    add_landmarks(key, by, times, paste0("group=", level), call)
  }
  add_logrank(sprintf("%s.by.pdl1_group", kind), fg, data,
              sprintf("survdiff(Surv(%s_time, %s_status) ~ pdl1_group)", kind, kind))
  add_cox_terms(sprintf("%s.by.pdl1_group.%s", kind, c("1_49", "50")), coxph(fg, data = data),
                sprintf("coxph(Surv(%s_time, %s_status) ~ pdl1_group)", kind, kind))
  fm <- as.formula(sprintf("Surv(%s_time, %s_status) ~ ecog12 + group", kind, kind))
  add_cox_terms(sprintf("%s.multivariate.terms.%s", kind,
                        c("ecog_1_2", "pdl1_group_1_49", "pdl1_group_50")),
                coxph(fm, data = data),
                sprintf("coxph(Surv(%s_time, %s_status) ~ ecog_1_2 + pdl1_group)", kind, kind))
}

response <- sub("^PR \\(confirmed\\)$", "PR", pt[["BOR (RECIST 1.1)"]])
add_proportion("response.orr", sum(response %in% c("CR", "PR")), nrow(pt))

# irAEs: the hospital's spellings, matched ignoring case; each patient once per term, worst grade.
terms <- c(hypothyroid = "hypothyroidism", "skin rash" = "rash", "rash (maculopapular)" = "rash",
           "pneumonitis (ici)" = "pneumonitis", "immune colitis" = "colitis",
           "colitis/diarrhoea" = "colitis", "hepatitis (immune-related)" = "hepatitis",
           itch = "pruritus")
term <- tolower(ae[["irAE"]])
term <- ifelse(term %in% names(terms), terms[term], term)
grade <- as.integer(sub("^G", "", ae[["CTCAE grade"]]))
worst <- aggregate(grade ~ id + term, data = data.frame(id = ae[["Pt no."]], term, grade), FUN = max)
for (t in unique(worst$term)) {
  rows <- worst[worst$term == t, ]
  add(sprintf("ae.terms.%s.n", t), nrow(rows), sprintf("patients with %s (any grade)", t))
  add(sprintf("ae.terms.%s.severe", t), sum(rows$grade >= 3), sprintf("patients with %s grade >= 3", t))
}
add("ae.any.n", length(unique(worst$id)), "patients with any irAE")
add("ae.severe.n", length(unique(worst$id[worst$grade >= 3])), "patients with an irAE of grade >= 3")

write_expected(file.path(dir, "expected.json"))
