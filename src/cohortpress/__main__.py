from cohortpress.cli import main

main()
