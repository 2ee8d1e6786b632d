"""Render docs/screenshot.png: the main window on the sample project, mid-review.

    python scripts/screenshot.py [OUT.png] [--dark] [--size=1280x720]
    python scripts/screenshot.py docs/lead.png --lead        a lead settling reviewer conflicts
    python scripts/screenshot.py docs/agreement.png --agreement    the Agreement page
    python scripts/screenshot.py docs/baseline.png --baseline      the same right after import
    python scripts/screenshot.py docs/alignment.png --size=1280x720 --alignment
        the Alignment page: the reviewers' files merged, a calibration pack written, the
        sample's second judge run added

    python scripts/screenshot.py docs/blind-first.png --size=1280x720 --blind
        a case under blind-first review, its first label picked, before the reveal
    python scripts/screenshot.py docs/anchoring.png --size=1280x860 --anchoring
        the Agreement page's Anchoring tab: the sample's reviewers decided again blind first

Runs offscreen with a throw-away data folder; nothing of the user's is touched.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ANNOTATOR_BASEDIR"] = tempfile.mkdtemp(prefix="annotator-shot-")

from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from annotator.domain.model import Confidence  # noqa: E402
from annotator.services.blind import set_blind  # noqa: E402
from annotator.services.calibration import write_pack  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.judge_runs import add_run  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402
from annotator.settings import Settings  # noqa: E402
from annotator.ui.app import build_window, make_app  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402

DECIDED = (
    ("pref-008", "A", "A is the only answer that says to call 999 now; B reads like a textbook."),
    ("help-008", "2", "Morning headache with vomiting needs same-day assessment; not mentioned."),
    ("help-014", "4", "Correct and safe; the raters were harsher than the rubric asks."),
)


SAMPLE_REVIEWS = Path(__file__).resolve().parent.parent / "resources" / "sample" / "reviews"
SAMPLE = SAMPLE_REVIEWS.parent / "sample.jsonl"
LEAD_DECISIONS = (
    (
        "faith-006",
        "fail",
        "At 4 months the one-week probation clause applies; quoting 12.2 tells the user "
        "something the contract does not say about them. Wrong clause is an unsupported claim.",
    ),
    (
        "help-003",
        "4",
        "Right escalation route, but the letter before action belongs before the claim and the "
        "answer should say it covers England and Wales only.",
    ),
    (
        "pref-004",
        "A",
        "Both are correct keigo; A keeps 'quick', which the English leads with. Lindahl's "
        "reading of the register settles it.",
    ),
    (
        "pref-009",
        "B",
        "The user is weighing a job offer: that a 50-mile, any-business restraint may be "
        "unenforceable is the plain-English point that matters.",
    ),
)


def main() -> int:
    out = Path(next((a for a in sys.argv[1:] if not a.startswith("--")), "docs/screenshot.png"))
    if "--lead" in sys.argv or "--agreement" in sys.argv:
        return lead(out, agreement="--agreement" in sys.argv)
    if "--baseline" in sys.argv:
        return baseline(out)
    if "--blind" in sys.argv:
        return blind(out, _size("1280x720"))
    if "--alignment" in sys.argv:
        return alignment(out, _size("1280x720"))
    if "--anchoring" in sys.argv:
        return anchoring(out, _size("1280x860"))
    app = make_app()
    look = "dark" if "--dark" in sys.argv else "system"  # View > Appearance
    window = build_window(None, Settings(reviewer="Dr. M. Lindqvist", appearance=look))
    size = next((a[7:] for a in sys.argv if a.startswith("--size=")), "1680x1000")
    width, height = (int(x) for x in size.split("x"))
    window.resize(width, height)
    window.show()
    while window.runner.tasks:
        app.processEvents()
        time.sleep(0.02)
    service = window.review.service
    assert service is not None
    for ext_id, label, why in DECIDED:
        service.decide(service.row_id(ext_id) or 0, label, why)
    window.review.set_service(service)
    window.queue.select_id(service.row_id("faith-001") or 0)
    panel = window.panel
    panel.choose_label_number(1)
    panel.rationale.setPlainText(
        "The answer invents a 2 g daily limit for adults under 50 kg; the leaflet only says to "
        "ask a doctor or pharmacist. Both raters caught it; the judge missed it."
    )
    panel.check_tag("judge missed fact")
    panel.toggle_confidence(Confidence.HIGH)
    _settle(app, window)
    window.grab().save(str(out))
    print(f"wrote {out}")
    return 0


def _settle(app: QApplication, window: MainWindow) -> None:
    while window.runner.tasks:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(30):
        app.processEvents()


def _merged(size: tuple[int, int]) -> tuple[QApplication, MainWindow]:
    """The window on the sample, a lead's: its three reviewers' files merged."""
    app = make_app()
    window = build_window(None, Settings(reviewer="Lead: Dr. R. Mensah"))
    window.resize(*size)
    window.show()
    _settle(app, window)
    window.files.merge(sorted(SAMPLE_REVIEWS.glob("*.jsonl")))
    _settle(app, window)
    for box in window.findChildren(QMessageBox):
        box.close()
    return app, window


def lead(out: Path, *, agreement: bool) -> int:
    """The sample's three reviewer files merged, four conflicts settled by the lead."""
    app, window = _merged((1680, 1000))
    service = window.review.service
    assert service is not None
    for ext_id, label, why in LEAD_DECISIONS:
        service.decide(service.row_id(ext_id) or 0, label, why)
    window.show_conflicts()
    window.review.update_progress()  # decided through the service, not the window
    _settle(app, window)
    if not agreement:
        window.grab().save(str(out))
        print(f"wrote {out}")
        return 0
    window.show_agreement()
    _settle(app, window)
    page = window.agreement_page
    assert page is not None
    page.resize(1280, 980)
    page.tabs.setCurrentIndex(1)  # helpfulness, 1 to 5: weighted kappa, Gwet's AC2, Spearman
    _settle(app, window)
    page.grab().save(str(out))
    print(f"wrote {out}")
    return 0


def _size(default: str) -> tuple[int, int]:
    size = next((a[7:] for a in sys.argv if a.startswith("--size=")), default)
    width, height = (int(x) for x in size.split("x"))
    return width, height


def alignment(out: Path, size: tuple[int, int]) -> int:
    """The Alignment page of the sample after the loop, as docs/alignment.md walks it: the
    reviewers' files merged (their unanimous labels are the final labels), a calibration pack
    written, and the second judge's run (resources/sample/judge-run-2.jsonl) added."""
    app, window = _merged(size)
    ws = window.ws
    assert ws is not None
    write_pack(ws, Path(tempfile.mkdtemp(prefix="annotator-pack-")))
    add_run(ws, SAMPLE_REVIEWS.parent / "judge-run-2.jsonl", "prompt v2")
    _settle(app, window)
    window.alignment.show()
    _settle(app, window)
    page = window.alignment.page
    assert page is not None
    page.resize(*size)
    page.tabs.setCurrentIndex(2)  # preference: the first judge below the ceiling, v2 above
    _settle(app, window)
    page.grab().save(str(out))
    print(f"wrote {out}")
    return 0


def blind(out: Path, size: tuple[int, int]) -> int:
    """The sample under blind-first review (View > Blind first): two cases revealed and
    decided, the next one shown blind with its first label picked, before the reveal."""
    app = make_app()
    window = build_window(None, Settings(reviewer="Dr. M. Lindqvist"))
    window.resize(*size)
    window.show()
    _settle(app, window)
    window.actions_by_id["blind_first"].trigger()
    _settle(app, window)
    service = window.review.service
    assert service is not None
    for ext_id, label, why in DECIDED[:2]:
        row_id = service.row_id(ext_id) or 0
        service.reveal(row_id, label)
        service.decide(row_id, label, why)
    window.review.set_service(service)
    window.queue.select_id(service.row_id("help-014") or 0)
    window.review.choose_label(3)
    _settle(app, window)
    window.grab().save(str(out))
    print(f"wrote {out}")
    return 0


def _blind_again(source: Path, folder: Path) -> Path:
    """A sample reviewer's file decided again blind first in a throw-away workspace: the same
    final labels and rationales, each after a first label committed blind. The first label is
    the final one, except on every third case whose final label is the judge's (first: the
    label before it on the scale, as if the reveal swayed the reviewer) and every seventh
    other one (first: the next label, changed on reflection)."""
    lines = [json.loads(x) for x in source.read_text(encoding="utf-8").splitlines() if x]
    ws = Workspace.open(folder / f"{source.stem}.annotator")
    import_file(ws, SAMPLE)
    set_blind(ws, blind_first=True)
    review = ReviewService(ws, lines[0]["reviewer"])
    for i, line in enumerate(lines):
        labels, label = line["labels"], line["label"]
        first = label
        if label == line["judge_label"] and i % 3 == 0:
            first = labels[labels.index(label) - 1]
        elif i % 7 == 0:
            first = labels[(labels.index(label) + 1) % len(labels)]
        row_id = review.row_id(line["id"]) or 0
        review.reveal(row_id, first)
        review.decide(row_id, label, line["rationale"], tags=line["tags"])
    out = folder / source.name
    export_decisions(ws, out)
    ws.close()
    return out


def anchoring(out: Path, size: tuple[int, int]) -> int:
    """The Agreement page's Anchoring tab for a lead: the sample's three reviewers' files,
    decided again blind first (``_blind_again``), merged."""
    folder = Path(tempfile.mkdtemp(prefix="annotator-blind-"))
    files = [_blind_again(f, folder) for f in sorted(SAMPLE_REVIEWS.glob("*.jsonl"))]
    app = make_app()
    window = build_window(None, Settings(reviewer="Lead: Dr. R. Mensah"))
    window.resize(1680, 1000)
    window.show()
    _settle(app, window)
    window.files.merge(files)
    _settle(app, window)
    for box in window.findChildren(QMessageBox):
        box.close()
    window.show_agreement()
    _settle(app, window)
    page = window.agreement_page
    assert page is not None
    page.resize(*size)
    page.tabs.setCurrentWidget(page.anchoring)
    _settle(app, window)
    page.grab().save(str(out))
    print(f"wrote {out}")
    return 0


def baseline(out: Path) -> int:
    """The Agreement page of the sample right after import, no decision yet: the judge against
    the original raters, on a 1280x720 laptop screen."""
    app = make_app()
    window = build_window(None, Settings(reviewer="Dr. M. Lindqvist"))
    window.resize(1280, 720)
    window.show()
    _settle(app, window)
    window.show_agreement()
    _settle(app, window)
    page = window.agreement_page
    assert page is not None
    page.resize(1280, 720)
    page.tabs.setCurrentIndex(2)  # preference: A, B or a tie, as AlpacaEval's
    _settle(app, window)
    page.grab().save(str(out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
