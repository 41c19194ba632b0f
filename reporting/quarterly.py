"""The printable quarterly report: the statistics table the district leadership receives, one page per quarter.

``quarterly_html(folder)`` gives one HTML document, an A4 landscape page per quarter (CSS ``@page`` and
``page-break-after``): title, period (a partial quarter marked), the table grouped by unit type with
subtotals, the total and the rates, footnotes, and the date of the run.  ``html_to_pdf`` prints it with
headless Chromium.  ``wenzheng report RUN_DIR`` (wenzheng/cli.py) writes either file.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from engine.errors import Problem, SourceError
from engine.i18n import get_lang, lang_scope

from .folder import RunFolder
from .leaderdata import RunData, quarter_key
from .leaders import _quarters, footnotes, load_runs, quarter_period, quarter_table, run_date
from .messages import t

__all__ = ["quarterly_html", "html_to_pdf", "run_quarters", "SIGNATURE", "PDF_TITLE", "chromium"]

#: the first line after the doctype: how ``wenzheng report`` recognises a file it wrote
SIGNATURE = "<!-- wenzheng quarterly report -->"
#: the PDF's title (ASCII, so that Chromium writes it as plain text in the PDF's metadata)
PDF_TITLE = "wenzheng quarterly report"

_CSS = """
@page { size: A4 landscape; margin: 8mm 10mm; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", sans-serif; color: #111;
       margin: 0; font-size: 7pt; }
.page { page-break-after: always; break-after: page; }
.page:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 13pt; text-align: center; margin: 0 0 1mm; }
p.period { text-align: center; margin: 0 0 1.5mm; font-size: 9pt; }
p.period .partial { color: #b00; font-weight: 700; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #555; padding: 0.1mm 1.2mm; line-height: 1.12; }
th { background: #eee; font-weight: 700; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.subtotal td { background: #f4f4f4; font-weight: 700; }
tr.total td { background: #e2e2e2; font-weight: 700; }
small { color: #555; font-size: 6pt; }
ol.footnotes { font-size: 6.5pt; margin: 1mm 0 0; padding-left: 5mm; }
p.meta { font-size: 6.5pt; color: #444; margin: 1mm 0 0; text-align: right; }
"""


def run_quarters(folder: RunFolder, runs: Sequence[RunData] | None = None) -> list[str]:
    """The quarters a run's report has pages for, in order."""
    return _quarters(list(runs) if runs is not None else load_runs(folder))


def quarterly_html(folder: RunFolder, quarter: str | None = None, lang: str | None = None,
                   runs: Sequence[RunData] | None = None) -> str:
    """The report as one HTML document: a page per quarter (only ``quarter`` if given).

    A quarter the run does not cover is a ``SourceError`` naming the quarters it has."""
    data = list(runs) if runs is not None else load_runs(folder)
    with lang_scope(lang):
        quarters = _quarters(data)
        if quarter is not None:
            if quarter not in quarters:
                raise SourceError([Problem(str(folder.root), None, None,
                                           t("qr.no_quarter", quarter=quarter, quarters="、".join(quarters)),
                                           key="--quarter", code="quarter")])
            quarters = [quarter]
        scenario = data[0].scenario
        written = run_date(folder).isoformat()
        meta = t("qr.meta", scenario=scenario, date=written, n=len(data)) if len(data) > 1 else \
            t("qr.meta_one", scenario=scenario, date=written)
        pages = []
        for q in quarters:
            body, notes, _ = quarter_table(data, q)
            period, partial = quarter_period(data[0], q)
            year, n = quarter_key(q)
            pages.append(
                f"<section class='page' data-quarter='{q}'><h1>{html.escape(t('qr.title', year=year, n=n))}</h1>"
                f"<p class='period'>{html.escape(t('qr.period'))}"
                f"<span class='{'partial' if partial else ''}'>"
                f"{html.escape(period + (t('ld.period.partial_mark') if partial else ''))}</span></p>"
                f"{body}{footnotes(notes)}<p class='meta'>{html.escape(meta)}</p></section>")
        html_lang = "zh-CN" if get_lang() == "zh" else "en"
        return (f"<!DOCTYPE html>\n{SIGNATURE}\n<html lang='{html_lang}'><head><meta charset='utf-8'>"
                f"<title>{PDF_TITLE} {html.escape(' '.join(quarters))}</title><style>{_CSS}</style></head>"
                f"<body>{''.join(pages)}</body></html>\n")


def chromium() -> str | None:
    """The headless browser's command, or None when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_text: str, pdf: Path, timeout: float = 120.0) -> None:
    """Print ``html_text`` to ``pdf`` with headless Chromium (A4 landscape comes from the page's CSS)."""
    browser = chromium()
    if browser is None:
        raise SourceError([Problem("chromium", None, None, t("qr.no_chromium"), code="pdf")])
    with tempfile.TemporaryDirectory(prefix="wenzheng-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html_text, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-pdf-header-footer", "--print-to-pdf-no-header", f"--user-data-dir={tmp}/profile",
               f"--print-to-pdf={out}", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "HOME": tmp})
        except subprocess.TimeoutExpired:
            raise SourceError([Problem(browser, None, None, t("qr.pdf_failed", why=f"timeout {timeout:g} s"),
                                       code="pdf")]) from None
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            why = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:300]
            raise SourceError([Problem(browser, None, None, t("qr.pdf_failed", why=why), code="pdf")])
        shutil.copyfile(out, pdf)
