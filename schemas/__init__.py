"""The data contracts: one pandera schema per sheet of the cohort workbook.

These ``DataFrameSchema`` objects are the single source of column documentation (``title``
and ``description``) and of the rules a workbook must meet; the wording of each ``error=`` is
what a data manager reads in the validation report. Text in braces, such as
``{treatment_start}``, is replaced by the header the workbook uses for that field.
"""
