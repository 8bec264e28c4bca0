"""The HTML a preview serves besides the published documents: the refresh script injected into
them, the page shown while the first build runs, and the page naming what stopped a build.

Every text from the study (messages, workbook values, sheet and column names) is escaped with
:func:`cohortpress.present.escape.html_text` where the page is made.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cohortpress.present.escape import html_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cohortpress.errors import Problem

VERSION_PATH = "/__cohortpress/version"
DOCUMENTS = (
    ("manuscript.html", "Manuscript"),
    ("supplement.html", "Supplement"),
    ("data_report.html", "Data report"),
    ("update_report.html", "Update report"),
)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
# Polls the build version four times a second (a few bytes from 127.0.0.1) and reloads the page
# when a newer build has finished (a published manuscript or an error page); a stopped server is
# retried quietly.
_SCRIPT = """\
<div id="cohortpress-preview" style="position:fixed;right:.5em;bottom:.5em;z-index:2147483647;\
font:12px/1.4 system-ui,sans-serif;background:#fff;color:#333;border:1px solid #bbb;\
border-radius:4px;padding:.2em .6em;opacity:.9">cohortpress preview{links}</div>
<script nonce="{nonce}">
(() => {{
  const built = "{version}";
  const poll = async () => {{
    try {{
      const answer = await fetch("{path}", {{cache: "no-store"}});
      if (answer.ok && (await answer.text()).trim() !== built) {{ location.reload(); return; }}
    }} catch (stopped) {{}}
    setTimeout(poll, 250);
  }};
  setTimeout(poll, 250);
}})();
</script>
"""


def refresh_snippet(version: int, documents: Sequence[str] = (), nonce: str = "") -> str:
    """The banner with links to the published documents and the script that reloads the page
    (``nonce``: the one the page's policy allows its script by)."""
    links = "".join(
        f' · <a href="/{name}">{label}</a>' for name, label in DOCUMENTS if name in documents
    )
    return _SCRIPT.format(version=version, path=VERSION_PATH, links=links, nonce=nonce)


_POLICY_META = re.compile(rb'<meta http-equiv="Content-Security-Policy"[^>]*>\s*', re.IGNORECASE)


def without_policy(page: bytes) -> bytes:
    """``page`` without the policy it declares, which allows no script: the preview sends its
    own, which allows the refresh script by its nonce."""
    return _POLICY_META.sub(b"", page, count=1)


def inject(page: bytes, snippet: str) -> bytes:
    """``page`` with ``snippet`` before its last ``</body>`` (appended when it has none)."""
    code = snippet.encode("utf-8")
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + code
    at = ends[-1].start()
    return page[:at] + code + page[at:]


def building_page(study: str) -> bytes:
    """What the browser shows until the first build has finished."""
    return _page(
        f"Building {html_text(study)}…",
        "<p>The manuscript is being built; this page shows it as soon as it is ready.</p>",
    )


def error_page(study: str, message: str, problems: Sequence[Problem] = ()) -> bytes:
    """The build stopped: its message and, for invalid data, every problem with its rows."""
    body = f'<p class="message">{html_text(message)}</p>'
    if problems:
        body += _problem_table(problems)
    body += "<p>Fix it and save: this page shows the manuscript again once it builds.</p>"
    return _page(f"{html_text(study)}: the manuscript was not built", body)


def not_found_page(path: str) -> bytes:
    return _page("Not found", f"<p>The preview has no <code>{html_text(path)}</code>.</p>")


def _problem_table(problems: Sequence[Problem]) -> str:
    from cohortpress.validate._report import group_problems

    head = "".join(f"<th>{h}</th>" for h in ("", "Sheet", "Rows", "Column", "Value", "Rule"))
    rows = []
    for group in group_problems(problems):
        rule = group.rule + (f" ({group.suggestion})" if group.suggestion else "")
        cells = (
            group.severity,
            group.sheet,
            group.rows_text(),
            group.column,
            group.values_text(),
            rule,
        )
        rows.append(
            f'<tr class="{html_text(group.severity)}">'
            + "".join(f"<td>{html_text(cell or '')}</td>" for cell in cells)
            + "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _page(title: str, body: str) -> bytes:
    """A small standalone page; ``title`` and ``body`` are HTML already escaped."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
h1 {{ font-size: 1.3em; }} .message {{ white-space: pre-wrap; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: .2em .6em; }}
thead th {{ border-bottom: 1px solid #333; }} tr.error td:first-child {{ color: #b00020; }}
tr.warning td:first-child {{ color: #8a6d00; }}
</style></head>
<body><h1>{title}</h1>
{body}
</body></html>
""".encode()
