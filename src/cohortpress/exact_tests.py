"""When the Wilcoxon rank-sum test is exact, as R's ``wilcox.test``: a number the Methods and
the provenance record print.

It is here, in a module without NumPy, because a cached run writes the documents and the
record without importing the analysis' modules; ``analyse/_compare.py`` applies it.
"""

from __future__ import annotations

from typing import Final

EXACT_BELOW: Final = 50  # both groups smaller and no ties: the exact test
