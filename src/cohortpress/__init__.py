"""cohortpress: a retrospective cohort workbook in, a manuscript out."""
