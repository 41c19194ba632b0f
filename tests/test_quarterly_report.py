"""``wenzheng report RUN_DIR``: the printable quarterly report, HTML and PDF.

The HTML's numbers are checked against cases.csv recounted here; the PDF is rendered to images with pypdfium2
and checked (a page per quarter, landscape A4, ink on the page); the first page is saved as a PNG under
``$WENZHENG_TEST_OUTPUT`` (default: the test's tmp folder) as the acceptance screenshot.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from reporting.quarterly import chromium
from simulator.metrics import quarter_of
from wenzheng.cli import main

from .test_leaders import SHORT, Tables


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("quarterly") / "run"
    assert main(["run", str(SHORT), "--out", str(out), "--quiet", "--replications", "2"]) == 0
    return out


def _pages(text: str) -> list[str]:
    return text.split("<section class='page'")[1:]


def test_html_report_one_page_per_quarter_with_independent_numbers(run_dir, zh, capsys):
    assert main(["report", str(run_dir), "--format", "html"]) == 0
    target = run_dir / "quarterly-report.html"
    assert "已写出" in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    pages = _pages(text)
    assert [p.split("data-quarter='")[1][:6] for p in pages] == ["2014Q3", "2014Q4"] + \
        [p.split("data-quarter='")[1][:6] for p in pages[2:]]
    assert "@page { size: A4 landscape" in text and "page-break-after: always" in text
    assert "网络舆情反馈单办理情况统计表（2014年第3季度）" in pages[0]
    assert "2014-09-25 至 2014-09-30（不完整季度）" in pages[0] and "2014-10-01 至 2014-10-10（不完整季度）" in pages[1]
    assert "运行日期" in pages[0]
    # the grand total of collected forms per quarter: the mean over the two replications of cases.csv's count
    for page, q in zip(pages[:2], ["2014Q3", "2014Q4"], strict=True):
        per_rep = []
        for rep in ("000", "001"):
            with (run_dir / rep / "cases.csv").open(newline="", encoding="utf-8") as f:
                per_rep.append(Counter(quarter_of(datetime.fromisoformat(r["opened_at"])) for r in csv.DictReader(f)))
        rows = Tables(page).tables[0]
        total = rows[-1]
        assert total[0] == "合计"
        assert float(total[2]) == pytest.approx((per_rep[0][q] + per_rep[1][q]) / 2, abs=0.05)
    # written by wenzheng: listed in the result folder's manifest
    manifest = json.loads((run_dir / "wenzheng-manifest.json").read_text(encoding="utf-8"))
    assert "quarterly-report.html" in json.dumps(manifest, ensure_ascii=False)


def test_one_quarter_and_english(run_dir, tmp_path, capsys):
    out = tmp_path / "q.html"
    assert main(["report", str(run_dir), "--quarter", "2014Q4", "--format", "html", "--out", str(out),
                 "--lang", "en"]) == 0
    text = out.read_text(encoding="utf-8")
    assert len(_pages(text)) == 1 and "data-quarter='2014Q4'" in text
    assert "statistics for the district leadership, 2014 Q4" in text and "2014-10-01 to 2014-10-10 (partial quarter)" in text
    assert "subtotal" in text and "reply rate" in text


def test_bad_inputs_exit_2(run_dir, tmp_path, zh, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "nothing: 不存在" in capsys.readouterr().err  # (trial: it said 不是文件夹, "not a folder")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert main(["report", str(tmp_path / "a-file")]) == 2
    assert "不是文件夹" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--quarter", "2013Q1", "--format", "html", "--out",
                 str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "2013Q1" in err and "2014Q3" in err and not (tmp_path / "x.html").exists()
    assert main(["report", str(run_dir), "--quarter", "2014Q5"]) == 2
    assert "「2014Q5」" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--format", "docx"]) == 2
    foreign = tmp_path / "mine.html"
    foreign.write_text("my notes", encoding="utf-8")
    assert main(["report", str(run_dir), "--format", "html", "--out", str(foreign)]) == 2
    assert foreign.read_text(encoding="utf-8") == "my notes"
    # a file the tool wrote is replaced
    ours = tmp_path / "ours.html"
    assert main(["report", str(run_dir), "--format", "html", "--out", str(ours)]) == 0
    assert main(["report", str(run_dir), "--format", "html", "--out", str(ours), "--quarter", "2014Q3"]) == 0
    assert len(_pages(ours.read_text(encoding="utf-8"))) == 1


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (.ci/run installs it)")
def test_pdf_report_rendered(run_dir, tmp_path, zh, capsys):
    import pypdfium2 as pdfium  # in the test extra: a missing install is a failure, not a skip
    out = tmp_path / "report.pdf"
    assert main(["report", str(run_dir), "--format", "pdf", "--out", str(out)]) == 0
    html_text = (tmp_path / "report.html")
    assert main(["report", str(run_dir), "--format", "html", "--out", str(html_text)]) == 0
    quarters = len(_pages(html_text.read_text(encoding="utf-8")))
    pdf = pdfium.PdfDocument(str(out))
    assert len(pdf) == quarters
    shots = Path(os.environ.get("WENZHENG_TEST_OUTPUT") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for i in range(len(pdf)):
        page = pdf[i]
        w, h = page.get_size()
        assert w > h and w == pytest.approx(842, abs=2) and h == pytest.approx(595, abs=2)  # A4 landscape, points
        img = page.render(scale=1.5).to_pil().convert("L")
        dark = sum(img.histogram()[:128])
        assert dark > 0.005 * img.width * img.height, "the page is (nearly) blank"
        if i == 0:
            img.save(shots / "quarterly-report-page1.png")
    assert (shots / "quarterly-report-page1.png").stat().st_size > 0
    # a PDF the tool wrote is recognised as its own and replaced without --force
    assert main(["report", str(run_dir), "--format", "pdf", "--out", str(out), "--quarter", "2014Q3"]) == 0
    assert len(pdfium.PdfDocument(str(out))) == 1
