"""Every command of the window, declared once: id, menu text, shortcuts, menu, tip.

The window builds its QActions from this table, the cheat-sheet lists it, and a test checks that
no two actions share a shortcut.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    shortcuts: tuple[str, ...] = ()
    menu: str = ""
    tip: str = ""
    checkable: bool = False


LABEL_DIGITS = range(10)
"""Digit keys for labels: a scale of numbers types the label (``label_keys``), others 1-9."""

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open…", ("Ctrl+O",), "file", "Open a workspace or a case file"),
    ActionSpec(
        "import", "&Import cases…", ("Ctrl+I",), "file", "Add a case file to this workspace"
    ),
    ActionSpec("export", "&Export labelled file…", ("Ctrl+E",), "file", "Write your decisions"),
    ActionSpec(
        "summary", "&Summary and agreement…", ("Ctrl+Shift+I",), "file", "Counts and agreement"
    ),
    ActionSpec(
        "merge",
        "&Merge reviewer files…",
        ("Ctrl+Shift+M",),
        "file",
        "Lead: bring in the labelled files reviewers sent back, to settle their conflicts",
    ),
    ActionSpec(
        "export_merged",
        "Export merge&d file…",
        ("Ctrl+Shift+E",),
        "file",
        "Lead: write the merged file, with every reviewer's decision and yours",
    ),
    ActionSpec(
        "calibrate",
        "Export &calibration pack…",
        (),
        "file",
        "Examples for the judge's prompt from the experts' critiques, and held-out cases to "
        "re-run it on (a folder)",
    ),
    ActionSpec(
        "add_judge_run",
        "Add &judge run…",
        (),
        "file",
        "Another judge's verdicts on these cases (a file keyed by case id), to compare runs",
    ),
    ActionSpec(
        "judge_runs",
        "Judge ru&ns…",
        (),
        "file",
        "The project's judge runs: rename, remove, undo",
    ),
    ActionSpec(
        "split",
        "&Held-out split…",
        (),
        "file",
        "The share of decided cases held out of the calibration examples, and the split's seed",
    ),
    ActionSpec(
        "agreement",
        "A&greement report…",
        ("Ctrl+Shift+G",),
        "file",
        "The judge against the original raters before any review, and against the final "
        "labels after",
    ),
    ActionSpec(
        "properties",
        "Workspace &properties…",
        (),
        "file",
        "Where this workspace lives, and how to use it from the command line",
    ),
    ActionSpec("copy_path", "Copy &workspace path", (), "file", "For the command line"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "file"),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), "edit", "Undo the last decision, skip or clear"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "edit"),
    ActionSpec("find", "&Find cases…", ("Ctrl+F",), "edit", "Search case text, ids and rationales"),
    ActionSpec(
        "reviewer", "Reviewer &name…", (), "edit", "The name written into the labelled file"
    ),
    ActionSpec(
        "edit_rubric",
        "Ru&bric…",
        (),
        "edit",
        "Edit a criterion's rubric and the guidelines (each save is a new version), and "
        "compare versions",
    ),
    ActionSpec(
        "save_next",
        "&Save and next",
        ("Ctrl+Return", "Ctrl+Enter"),
        "case",
        "Save the decision and go to the next case",
    ),
    ActionSpec(
        "reveal",
        "Re&veal who said what",
        ("Ctrl+Space", "Ctrl+Shift+Space"),  # (the second where the system takes the first)
        "case",
        "Blind first: commit your first label, then see the judge's and the raters' labels",
    ),
    ActionSpec("next", "&Next case", ("Alt+Right", "Ctrl+Down"), "case"),
    ActionSpec("prev", "&Previous case", ("Alt+Left", "Ctrl+Up"), "case"),
    ActionSpec(
        "next_undecided", "Next &undecided", ("Ctrl+U",), "case", "Jump to the next undecided"
    ),
    ActionSpec("skip", "S&kip", ("Ctrl+K",), "case", "Mark as skipped and go on; come back later"),
    ActionSpec("clear", "&Clear decision", ("Ctrl+Shift+Backspace",), "case"),
    ActionSpec("rationale", "Write &rationale", ("Ctrl+R",), "case", "Move to the rationale box"),
    ActionSpec("tag", "Add a &tag", ("Ctrl+T",), "case"),
    ActionSpec("who_judge", "The &judge was right", ("Alt+J",), "case"),
    ActionSpec("who_raters", "The r&aters were right", ("Alt+R",), "case"),
    ActionSpec("who_both", "&Both were right", ("Alt+B",), "case"),
    ActionSpec("who_neither", "N&either was right", ("Alt+N",), "case"),
    ActionSpec("who_auto", "&Derive who was right", ("Alt+D",), "case"),
    ActionSpec("conf_low", "Confidence: &low", ("Ctrl+1",), "case"),
    ActionSpec("conf_medium", "Confidence: &medium", ("Ctrl+2",), "case"),
    ActionSpec("conf_high", "Confidence: &high", ("Ctrl+3",), "case"),
    ActionSpec("rubric", "&Rubric and guidelines", ("F1",), "view", "Read the judge's rubric"),
    ActionSpec(
        "read_case",
        "Scroll the &case",
        ("F6",),
        "view",
        "The case takes the keys: Space, Shift+Space, PageDown, PageUp, arrows; Esc goes back",
    ),
    ActionSpec("toggle_queue", "Show &queue", ("Ctrl+L",), "view", checkable=True),
    ActionSpec(
        "include_agreements",
        "Include &agreements",
        ("Ctrl+Shift+A",),
        "view",
        "Also list cases where judge and raters agree, for spot checks",
        checkable=True,
    ),
    ActionSpec(
        "conflicts",
        "Reviewer con&flicts",
        ("Ctrl+Shift+C",),
        "view",
        "Lead: list the cases the reviewers disagree on",
    ),
    ActionSpec(
        "blind_first",
        "&Blind first",
        (),
        "view",
        "This project: commit your own label before the judge's and the raters' are shown",
        checkable=True,
    ),
    ActionSpec(
        "random_order",
        "Random &order",
        (),
        "view",
        "This project: the queue in a random order of your own (the same every time)",
        checkable=True,
    ),
    ActionSpec(
        "alignment",
        "Ali&gnment of judge runs…",
        ("Ctrl+Shift+L",),
        "view",
        "Is the next judge any better? Every judge run against the experts' final labels on "
        "the held-out cases, the human ceiling as the target, and what changed between two runs",
    ),
    ActionSpec(
        "threshold", "Ordinal &threshold…", (), "view", "When two scores count as disagreeing"
    ),
    ActionSpec("zoom_in", "&Larger text", ("Ctrl+=", "Ctrl++"), "view", "Larger case text"),
    ActionSpec("zoom_out", "S&maller text", ("Ctrl+-",), "view", "Smaller case text"),
    ActionSpec("zoom_reset", "&Normal text size", ("Ctrl+0",), "view"),
    ActionSpec("appearance_system", "Appearance: follow the &system", (), "view", checkable=True),
    ActionSpec("appearance_light", "Appearance: l&ight", (), "view", checkable=True),
    ActionSpec("appearance_dark", "Appearance: &dark", (), "view", checkable=True),
    ActionSpec("guide", "&Guide", (), "help", "How to review, and how a lead merges and settles"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", ("Ctrl+/", "?"), "help"),
    ActionSpec("about", "&About annotator", (), "help"),
) + tuple(
    ActionSpec(f"label_{n}", f"Label key {n}", (str(n), f"Alt+{n}"), "label") for n in LABEL_DIGITS
)

MENUS = (
    ("file", "&File"),
    ("edit", "&Edit"),
    ("case", "&Case"),
    ("view", "&View"),
    ("help", "&Help"),
)
