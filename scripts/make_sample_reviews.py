"""Write the sample reviewer files in resources/sample/reviews/: three experts' labelled files.

    python scripts/make_sample_reviews.py              # (re)writes resources/sample/reviews/
    python scripts/make_sample_reviews.py --out DIR    # somewhere else, e.g. to compare

A lead tries the merge with these files (see resources/sample/README.md), and screenshots and
docs show them. Each reviewer gets a throw-away workspace with the bundled sample imported; the
script decides that reviewer's cases through ReviewService, exactly as the window would, and
exports the labelled file with export_decisions. Then it merges the three files (on their own,
and into a lead's workspace) and prints the merge report.

Coverage overlaps on purpose: most cases are decided by two reviewers, a few by three or by one.
The reviewers mostly agree; eleven cases are genuine reviewer conflicts (a borderline
faithfulness call, a tie against a preference, 3 against 4 on helpfulness) for the lead to settle.

The output is deterministic: ``decided_at`` comes from a fixed clock per reviewer, so running the
script twice writes byte-identical files (as long as the sample and the app version are the same).
Nothing of the user's is touched: ANNOTATOR_BASEDIR points at a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

# First, before anything of annotator is imported: every folder the app uses goes to a
# throw-away directory, never to the user's data.
_BASEDIR = tempfile.TemporaryDirectory(prefix="annotator-sample-reviews-")
os.environ["ANNOTATOR_BASEDIR"] = _BASEDIR.name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import annotator.services.review as review_module  # noqa: E402
from annotator.domain.model import Confidence  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.merge import merge_files, merge_into_workspace  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

DESCRIPTION = "Write the sample reviewer files in resources/sample/reviews/."
SAMPLE = ROOT / "resources" / "sample" / "sample.jsonl"
OUT = ROOT / "resources" / "sample" / "reviews"


@dataclass(frozen=True)
class Reviewer:
    name: str
    """Written into the file's ``reviewer`` field."""
    slug: str
    """The file name: ``<first-last>.jsonl``."""
    start: datetime
    """When this reviewer's first decision is saved (the fixed clock starts here)."""


# Not the sample's raters (dr.okafor, a.chen, j.ruiz, m.lindqvist): an adjudicator should not
# be settling disagreements about their own ratings.
ADEYEMI = Reviewer("Dr. N. Adeyemi", "nkechi-adeyemi", datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
"""General practitioner with a clinical pharmacology background: the clinical cases."""
LINDAHL = Reviewer("S. Lindahl", "sofia-lindahl", datetime(2026, 11, 20, 13, 30, tzinfo=UTC))
"""Linguist and translator: translation, register, and the wording of faithfulness cases."""
FERREIRA = Reviewer("J. Ferreira", "joao-ferreira", datetime(2026, 11, 23, 8, 45, tzinfo=UTC))
"""Lawyer (tenancy, employment, data protection) who also reviews the general cases."""
REVIEWERS = (ADEYEMI, LINDAHL, FERREIRA)

HIGH, MEDIUM, LOW = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


@dataclass(frozen=True)
class Call:
    """One reviewer's decision on one case."""

    case: str
    reviewer: Reviewer
    label: str
    rationale: str
    tags: tuple[str, ...] = ()
    confidence: Confidence | None = None


A, L, F = ADEYEMI, LINDAHL, FERREIRA

# fmt: off
CALLS: tuple[Call, ...] = (
    # -- faithfulness ---------------------------------------------------------------------
    Call("faith-001", A, "fail",
         "The leaflet gives no maximum for people under 50 kg, only 'talk to your doctor or "
         "pharmacist'; the '2 g (4 tablets)' ceiling is invented, and it is a dose figure the "
         "user would act on.",
         ("judge missed fact", "safety"), HIGH),
    Call("faith-001", L, "fail",
         "The first paragraph paraphrases the leaflet correctly, but the last sentence turns "
         "'a lower dose may be needed' into a specific 2 g limit that the source never states.",
         ("judge missed fact",), HIGH),
    Call("faith-002", A, "pass",
         "Bleeding risk, the INR rise, paracetamol as the preferred analgesic with its "
         ">2 g/day caveat, and lowest dose for the shortest time are all in the monograph; "
         "'let your anticoagulation clinic know' is generic safety advice.",
         (), HIGH),
    Call("faith-002", F, "pass",
         "Each statement maps onto the monograph's severity or management paragraph; nothing "
         "goes beyond the safety phrasing the rubric allows."),
    Call("faith-003", A, "fail",
         "'You can drive again after 48 hours' contradicts the letter, which says no driving "
         "for 1 week or until an emergency stop is pain-free. The 48 h seems lifted from the "
         "dressing line, and it is unsafe advice after abdominal surgery.",
         ("rater error", "safety"), HIGH),
    Call("faith-003", L, "fail",
         "Everything else is a faithful plain-language rewrite, but the driving bullet replaces "
         "'1 week or until able to perform an emergency stop without pain' with '48 hours if you "
         "feel comfortable': a changed condition, not a paraphrase.",
         ("rater error",)),
    Call("faith-004", F, "fail",
         "Clause 7.3 says 10 working days; '10 days' brings the landlord's deadline forward by "
         "about four days, and a tenant who sends a demand on day 10 would be acting too early.",
         ("rater error",), HIGH),
    Call("faith-004", L, "fail",
         "The answer drops 'working' from '10 working days', which the rubric names as a "
         "qualifier that changes the meaning, however good the rest of the paraphrase is.",
         ("rater error",)),
    Call("faith-005", F, "fail",
         "The Art. 17 analysis is right, but 'within 72 hours of the request' is not in "
         "Art. 17: it looks borrowed from the Art. 33 breach-notification rule. The source says "
         "only 'without undue delay'.",
         ("rater error",), HIGH),
    Call("faith-005", L, "fail",
         "The final sentence adds a 72-hour deadline that appears nowhere in the extract; a "
         "correct main point does not excuse an invented time limit."),
    Call("faith-006", A, "fail",
         "The contract allows one week's notice during the first six months; the answer applies "
         "the post-probation clause to someone 4 months in, so its claim about the user's notice "
         "is wrong, not just incomplete.",
         ("judge missed fact",), MEDIUM),
    Call("faith-006", L, "pass",
         "Every word is a faithful rendering of clause 12.2; the error is choosing the wrong "
         "clause, which I read as relevance (helpfulness) rather than an unsupported claim.",
         ("rubric ambiguous",), LOW),
    Call("faith-006", F, "fail",
         "At 4 months the user is still in the six-month probationary period, so clause 12.1 "
         "(one week) governs. Telling the user they 'need to give one month's notice' changes "
         "who 12.2 applies to, which the rubric treats as a fail.",
         ("judge missed fact",), HIGH),
    Call("faith-007", L, "fail",
         "Poplack (1980) is indeed the classic source for switching where the two grammars "
         "align, but the passage names no author and the rubric currently fails correct "
         "background knowledge. The rule deserves another look for citations.",
         ("rubric ambiguous",), MEDIUM),
    Call("faith-007", F, "fail",
         "The summary attributes the findings to a named study the passage does not mention; "
         "under the current rubric an accurate but unsourced attribution is still a fail.",
         ("rubric ambiguous",)),
    Call("faith-008", A, "pass",
         "The numbered steps keep the protocol's 12-hour window, the 999 criteria, the transfer "
         "to the duty clinician and recording the time and callback number, with nothing added.",
         (), HIGH),
    Call("faith-009", A, "pass",
         "Both eGFR bands stated match the guidance (no change at 60 or above; stop on the day, "
         "withhold 48 h and recheck at 30-59). Leaving out the <30/AKI band matters clinically, "
         "but the rubric scores omissions under helpfulness.",
         (), HIGH),
    Call("faith-009", L, "pass",
         "No claim goes beyond the source; the judge marked an omission as a faithfulness "
         "failure, which the rubric explicitly excludes."),
    Call("faith-010", F, "fail",
         "Milestone 3 is €12,500 in Schedule 2, not €12,000, so the stated total of €35,000 is "
         "wrong too (it is €35,500). Amounts in a payment summary have to be exact.",
         ("judge missed fact", "rater error"), HIGH),
    Call("faith-010", L, "fail",
         "Two figures changed: €12,500 became €12,000 and the total should read €35,500. The "
         "judge checked the table's structure, not its numbers.",
         ("judge missed fact",)),
    Call("faith-011", L, "fail",
         "Priya asks to swap for the blue kettle and wants her money back only if it is out of "
         "stock; 'requests a refund' drops that condition and would send the ticket to the wrong "
         "queue.",
         ("judge missed fact",), HIGH),
    Call("faith-011", F, "fail",
         "The summary turns a conditional request (exchange, otherwise refund) into an outright "
         "refund request, which changes what the customer asked for.",
         ("judge missed fact",)),
    Call("faith-012", L, "pass",
         "'Unzerkaut' as swallow whole and 'unabhängig von den Mahlzeiten' as with or without "
         "meals are right, and 'nicht … mit Milch … allein' is correctly kept as 'only milk', the "
         "easy one to get wrong.",
         (), HIGH),
    Call("faith-012", A, "pass",
         "The spacing of 2 hours before or 4 hours after calcium, magnesium or iron matches the "
         "leaflet, as does the caveat about taking it with dairy alone."),
    Call("faith-013", A, "fail",
         "The extract gives doses only; 'for 5 days' is added. It is a common course, but the "
         "length depends on the indication, so in a dosing answer it is an unsupported claim.",
         ("rubric ambiguous",), MEDIUM),
    Call("faith-013", F, "fail",
         "The course length is not in the formulary extract. The rubric fails added background "
         "knowledge even when it is plausible, and here it is advice a parent will follow.",
         ("rubric ambiguous", "rater error")),
    Call("faith-014", F, "fail",
         "Section 11(1) requires 24 hours' notice in writing; dropping 'in writing' suggests a "
         "phone call or a knock on the door is enough, exactly the meaning change the rubric "
         "calls a fail.",
         ("judge missed fact",), HIGH),
    Call("faith-014", L, "fail",
         "The answer keeps every condition except the form of the notice, and 'in writing' "
         "changes what the landlord must do; it is not a detail to summarise away.",
         ("judge missed fact",)),
    Call("faith-015", A, "fail",
         "The entry says 'use with caution' and 'consider an alternative analgesic'; the answer "
         "upgrades that to 'contraindicated and must never be used'. The risks named are right, "
         "the severity is not.",
         ("judge missed fact", "rater error"), HIGH),
    Call("faith-015", F, "fail",
         "'Contraindicated' and 'must never be used' contradict the management line, which "
         "allows the combination at a low starting dose with monitoring.",
         ("judge missed fact",)),
    Call("faith-016", L, "fail",
         "§3.2 allows 'tu' on the Jeunes social-media channels, so 'Tu is never permitted' "
         "contradicts the exception outright, and an agent on that channel would follow it.",
         ("judge missed fact",), HIGH),
    Call("faith-016", F, "fail",
         "The answer states an absolute rule where the guide has an express exception for the "
         "Jeunes line, so it misstates the source.",
         ("judge missed fact",)),
    Call("faith-017", F, "pass",
         "Launch moved to 17 March for two more weeks of QA, €4,200 for the translation vendor, "
         "Ines's email by Friday, and the audit left open: all exactly as in the notes.",
         (), HIGH),
    Call("faith-017", L, "pass",
         "Faithful, and it correctly keeps the undecided accessibility audit apart from the "
         "three decisions."),
    Call("faith-018", A, "pass",
         "Urgency, the GP/111 route and the three 999 criteria come straight from the leaflet; "
         "'if you can't get through, take her to A&E' is standard safety-netting for a febrile "
         "baby under 3 months and contradicts nothing.",
         ("rubric ambiguous",), MEDIUM),
    Call("faith-018", L, "fail",
         "The A&E sentence is a new instruction, not a generic phrase like 'ask your "
         "pharmacist', so by the letter of the rubric it is an unsupported addition, however "
         "sensible.",
         ("rubric ambiguous",), LOW),
    # -- preference -----------------------------------------------------------------------
    Call("pref-001", A, "A",
         "One pill missed in week 2 is less than 48 hours late: take it now and carry on, with "
         "no extra protection or emergency contraception. B applies the two-or-more-missed-pills "
         "rule and would send her for emergency contraception she doesn't need.",
         ("judge missed fact",), HIGH),
    Call("pref-001", F, "A",
         "A gives the rule for a single missed pill; B's 7 days of condoms and emergency "
         "contraception belong to a different situation, and the judge rewarded caution over "
         "correctness.",
         ("judge missed fact",), MEDIUM),
    Call("pref-002", F, "B",
         "B is the process an English tenant needs: complain in writing, then the council's "
         "environmental health team, and don't withhold rent. A names the 1985 and 2018 Acts but "
         "never says what to do with them.",
         ("judge verbosity bias",), HIGH),
    Call("pref-002", L, "B",
         "A is background on kinds of damp ending in 'consider your options carefully'; B is "
         "four concrete steps. Length is not a merit under the rubric.",
         ("judge verbosity bias",)),
    Call("pref-003", L, "A",
         "« Il pleut des cordes » is the standard French idiom and right for a picture book; B "
         "is a word-for-word calque a French child would find puzzling.",
         (), HIGH),
    Call("pref-004", L, "A",
         "Both are correct business keigo. A keeps 'quick' (早速のご返信) and "
         "確認のうえ…ご連絡いたします is natural; B's 誠に and 申し上げます are more deferential, "
         "but it drops 'quick', which the English leads with.",
         (), MEDIUM),
    Call("pref-004", F, "tie",
         "To a non-native reader both look suitably formal: A keeps 'quick', B reads as more "
         "deferential. I can't weigh that register difference myself.",
         ("needs expert",), LOW),
    Call("pref-005", A, "A",
         "Grapefruit inhibits CYP3A4 and raises simvastatin levels markedly, so B's 'fine in "
         "moderation with all statins' is wrong for this drug; A also safety-nets for muscle "
         "pain.",
         (), HIGH),
    Call("pref-006", F, "B",
         "A is wrong: reminders need no consent; Art. 6(1)(b) or (f) with Art. 9(2)(h) is the "
         "proper basis, and consent is a poor basis in health care anyway. B also gives the right "
         "practical steps.",
         ("judge missed fact",), HIGH),
    Call("pref-006", A, "B",
         "B matches how practices actually run reminders; A's signed consent form for every "
         "patient is unnecessary and would stop reminders for anyone who never returns it.",
         (), MEDIUM),
    Call("pref-007", L, "tie",
         "Both are polite, short and give the reason; A is a little warmer ('Hi', 'Best'), B a "
         "little more formal. That is a register preference, not a difference in quality.",
         (), MEDIUM),
    Call("pref-007", F, "A",
         "A offers something concrete, a catch-up afterwards or the notes, which is more use to "
         "the organiser than B's open 'anything you need from me'. The rubric says not to call "
         "a tie just because it is close.",
         (), MEDIUM),
    Call("pref-008", A, "A",
         "Facial droop and slurred speech 20 minutes ago is a stroke until proven otherwise: A "
         "says call 999 now and note the onset time, which decides eligibility for thrombolysis. "
         "B never tells them to call an ambulance.",
         ("safety", "judge verbosity bias"), HIGH),
    Call("pref-008", L, "A",
         "The user asked whether to wait and see; A answers in its first word. B's differential "
         "diagnosis gives them nothing to act on.",
         ("safety",)),
    Call("pref-008", F, "A",
         "B reads like an encyclopaedia entry and ends with 'seek medical attention promptly' "
         "for a family asking whether to wait; A says 'No, call 999 now'.",
         ("judge verbosity bias",), HIGH),
    Call("pref-009", A, "B",
         "Both paraphrases are accurate; B adds the caveat and a next step (have it checked) "
         "that someone weighing a job offer needs, which the rubric ranks above brevity.",
         (), MEDIUM),
    Call("pref-009", L, "A",
         "The user asked for the clause in plain English and A does that in one sentence. B's "
         "enforceability note is useful, but it answers a question the user did not ask.",
         ("rubric ambiguous",), MEDIUM),
    Call("pref-009", F, "B",
         "A is a fine plain-English rendering, but for an 'any business' restraint over 50 miles "
         "and 12 months the point that matters is that it may be unenforceable as wider than "
         "reasonably necessary, and B says so plainly.",
         (), HIGH),
    Call("pref-010", L, "A",
         "'Do not drink alcohol while you are taking this medicine' is second person and "
         "concrete; 'please avoid' softens an instruction into a suggestion, and 'during "
         "treatment' is vaguer.",
         (), HIGH),
    Call("pref-010", A, "A",
         "In clinic, patients do hear 'avoid' as 'cut down'. For a medicine that must not be "
         "combined with alcohol, A's wording is the safer one."),
    Call("pref-011", A, "A",
         "A tells the patient to come back for numb, pale or blue fingers, worsening pain or a "
         "tight cast, the warning signs of compartment syndrome. B leaves them out, and a "
         "friendlier tone does not make up for that.",
         ("rater error", "safety"), HIGH),
    Call("pref-011", L, "A",
         "B is warmer and mentions the follow-up, but the rubric puts safety before tone, and "
         "only A says when to come back urgently.",
         ("rater error",)),
    Call("pref-012", F, "A",
         "A is right: a pay cut needs agreement unless the contract allows it, paying less can "
         "be an unlawful deduction, and Acas early conciliation comes first. B's 'one month's "
         "notice' rule does not exist.",
         (), HIGH),
    Call("pref-012", A, "A",
         "B is simply wrong and could cost the user a claim; A is accurate and gives next steps "
         "(object in writing, keep working under protest)."),
    Call("pref-013", A, "A",
         "Both doses are correct: 7.5 ml (150 mg) sits inside B's 80-160 mg range. A gives the "
         "one label dose a parent can measure, plus the dehydration and asthma cautions; B's "
         "mg/kg arithmetic invites errors with a syringe.",
         (), MEDIUM),
    Call("pref-013", F, "tie",
         "Both give a safe, correct dose for a 16 kg four-year-old, and B's weight-based range "
         "contains A's 7.5 ml. A's cautions are welcome, but I see no error on either side.",
         (), LOW),
    Call("pref-014", L, "A",
         "¡Mucha mierda! is what Spanish theatre people wish each other before a show; in a "
         "programme it reads as insider warmth, not vulgarity. B is a calque no Spanish reader "
         "would take as a good-luck wish.",
         ("judge missed fact",), HIGH),
    Call("pref-014", F, "A",
         "The judge read the idiom as profanity out of context. For a theatre audience in Spain "
         "A is the conventional wish; B means nothing.",
         ("judge missed fact",), MEDIUM),
    Call("pref-015", F, "B",
         "Same rule in both, but B tells the tenant what to do if they disagree (reply in writing, "
         "keep paying the current rent) and flags the Section 13 notice for after the fixed "
         "term.",
         (), HIGH),
    Call("pref-015", L, "B",
         "The legal content is the same, so I first read it as a tie; B wins on actionability, "
         "which is the rubric's third criterion.",
         (), MEDIUM),
    Call("pref-016", A, "A",
         "58 mmol/mol is about 7.5%; 6.5% is 48 mmol/mol. B's conversion is wrong and falsely "
         "reassures a patient who is above the usual 48-53 target.",
         ("judge missed fact", "safety"), HIGH),
    Call("pref-016", F, "A",
         "B has a factual error (the percentage conversion) and draws the wrong conclusion from "
         "it; the judge preferred the reassuring tone to the correct answer.",
         ("judge missed fact",)),
    Call("pref-017", L, "B",
         "A mixes a Markdown table with a raw HTML <b> tag; in a plain-text newsletter both show "
         "up as clutter. B says the same in three readable sentences.",
         (), MEDIUM),
    Call("pref-017", F, "B",
         "Same content; B pastes cleanly into a newsletter, whereas A's '<b>Bottom line:</b>' "
         "would probably appear verbatim."),
    Call("pref-018", L, "A",
         "'Cosmetic repairs' is the established rendering of Schönheitsreparaturen in German "
         "tenancy law, and 'shall … at his own expense' matches lease register; 'decorative "
         "repairs' is understandable but less standard.",
         (), MEDIUM),
    Call("pref-018", F, "B",
         "As a drafter I'd take 'must' and a gender-neutral 'their': 'shall' is ambiguous in "
         "modern drafting and 'his' would look dated in a new bilingual lease. 'Decorative "
         "repairs' carries the meaning.",
         (), MEDIUM),
    # -- helpfulness ----------------------------------------------------------------------
    Call("help-001", A, "5",
         "Correct for amlodipine: once daily with a long half-life, so take it at 4 pm and carry "
         "on tomorrow as usual, never doubling up. Nothing important is missing.",
         (), HIGH),
    Call("help-001", F, "5",
         "Answers the exact question (it's 4 pm, should I take it?) with a clear yes, plus what "
         "to do had it been the next day."),
    Call("help-002", A, "2",
         "'Rest and follow the advice your doctor gave you' has no content: nothing on ice and "
         "elevation, weight-bearing, keeping the dressing dry, or calf pain and swelling as "
         "signs of a DVT.",
         ("judge missed fact",), HIGH),
    Call("help-002", F, "2",
         "Safe but empty: the user asked what to do at home and is told to do what they were "
         "told. 'Vague' is the rubric's own description of a 2."),
    Call("help-003", L, "4",
         "Useful and clearly ordered, but the letter before action comes last in the list "
         "although it must precede a court claim, and a user in Scotland is not told that the "
         "rules differ there.",
         (), MEDIUM),
    Call("help-003", F, "5",
         "The right escalation for England and Wales: check protection with DPS, mydeposits or "
         "TDS, use the free adjudication, and claim it back with 1-3 times the deposit if it was "
         "never protected. It names the jurisdiction up front, so nothing is silently assumed.",
         (), HIGH),
    Call("help-004", A, "5",
         "Covers what a new starter needs: empty stomach 30-60 minutes before food or caffeine, "
         "4 hours from calcium, iron and antacids, TSH at 6-8 weeks, and the symptoms of "
         "over-replacement. The judge says side effects are missing; the last bullet lists them.",
         ("judge hallucinated",), HIGH),
    Call("help-004", F, "5",
         "Complete, specific and easy to follow; the judge's complaint about side effects is "
         "contradicted by the final bullet.",
         ("judge hallucinated",)),
    Call("help-005", L, "5",
         "Dense, but the bullets are well signposted and the opening line ('Some, yes, but the "
         "main one may not apply yet') sets expectations honestly."),
    Call("help-005", F, "5",
         "Accurate for England: the 2-year qualifying period, automatic unfair dismissal and "
         "discrimination with no service requirement, notice and holiday pay, and the Acas "
         "deadline of 3 months less one day.",
         (), HIGH),
    Call("help-006", L, "3",
         "The request letter is genuinely usable, which is what the user asked for; the "
         "'30 days' and 'cannot charge a fee' errors are real but unlikely to hurt them, so "
         "partly helpful rather than mostly unhelpful.",
         ("judge missed fact",), MEDIUM),
    Call("help-006", F, "2",
         "The template is useful, but both facts the user will rely on are wrong: the deadline "
         "is one month (extendable by two), not 30 days, and a fee can be charged for manifestly "
         "unfounded or excessive requests.",
         ("judge missed fact",), MEDIUM),
    Call("help-007", L, "4",
         "Definition and register advice are both correct, so both questions are answered. A "
         "formal alternative ('not meant seriously', 'in jest') would have made it a 5, but its "
         "absence is not a significant error.",
         ("rater error",), HIGH),
    Call("help-007", F, "4",
         "Answers what was asked, correctly; a replacement phrase for the report would have been "
         "a useful extra."),
    Call("help-008", A, "1",
         "Three days of headache worst on waking with morning vomiting suggests raised "
         "intracranial pressure and needs same-day assessment. The answer calls it tension-type "
         "and says to wait a week: a missed red flag.",
         ("judge missed fact", "safety"), HIGH),
    Call("help-008", L, "1",
         "The answer never engages with what the user described (worse on waking, vomiting) and "
         "offers generic self-care; with that red flag, it is harmful.",
         ("safety",), MEDIUM),
    Call("help-008", F, "1",
         "It treats this as a routine headache and delays care by a week despite the vomiting "
         "the user reported; a missed red flag caps the score at 2, and self-care advice here "
         "makes it a 1.",
         ("judge missed fact", "safety"), HIGH),
    Call("help-009", A, "4",
         "The interaction (clarithromycin raising atorvastatin levels) and the safety-netting are "
         "right, but at 80 mg the usual advice is simply to pause atorvastatin during the "
         "course, and the answer hedges between 'check first' and 'many prescribers advise "
         "stopping'.",
         (), HIGH),
    Call("help-009", F, "4",
         "Accurate and safe, but the user still doesn't know whether to take tonight's dose; a "
         "clearer instruction would make it a 5."),
    Call("help-010", L, "4",
         "It answers the question directly ('can be legally binding') with the key caveat and an "
         "exception; a lay user doesn't need offer, acceptance and consideration spelled out.",
         (), MEDIUM),
    Call("help-010", F, "3",
         "Correct but thin: it doesn't say that the answer depends on jurisdiction, and it stops "
         "at 'hard to prove' without saying what evidence helps (messages, witnesses, part "
         "performance).",
         (), MEDIUM),
    Call("help-011", L, "5",
         "Natural, correctly formal French ('Madame, Monsieur', vous, 'dans les plus brefs "
         "délais'). Setting it as a short letter is what the user needs to send it, and 'pour "
         "le réparer' is implied in the English.",
         ("rater error",), HIGH),
    Call("help-011", F, "5",
         "The user is writing to a landlord, so a complete polite letter helps more than a bare "
         "sentence; nothing of substance was added."),
    Call("help-012", F, "5",
         "Correct steps for Word on Windows and on a Mac, and two free alternatives; nothing "
         "missing for a how-to this short.",
         (), HIGH),
    Call("help-013", A, "5",
         "Accurate and well organised: INR target 2-3 for a DVT, the NSAID and new-medicine "
         "cautions, a steady diet rather than avoiding greens, and clear bleeding and "
         "head-injury red flags.",
         (), HIGH),
    Call("help-013", F, "5",
         "Long, but the headings make it easy to use and the urgent signs are set apart at the "
         "end."),
    Call("help-014", L, "5",
         "A clear plain-English contrast; the judge read a transfer from the LPA into the will "
         "that the text doesn't say.",
         ("judge hallucinated",), MEDIUM),
    Call("help-014", F, "5",
         "Legally accurate: the LPA ends on death and the executors then act under the will, so "
         "'your will takes over' simplifies without conflating. It also covers both LPA types "
         "and registration with the OPG.",
         ("judge hallucinated",), HIGH),
    Call("help-015", A, "1",
         "A 5-day course of prednisolone 40 mg for an asthma flare needs no taper; the invented "
         "5 mg-a-day reduction adds another week of steroid and contradicts the GP, and the "
         "adrenal-crisis warning is wrong for a course this short.",
         ("judge missed fact", "rater error", "safety"), HIGH),
    Call("help-015", F, "1",
         "The answer overrides the prescriber with a made-up schedule the user might follow; the "
         "rubric scores a fabricated dose the user might act on as 1.",
         ("judge missed fact", "safety")),
    Call("help-016", L, "2",
         "The third example, 'will effect everyone', is wrong and ticked as correct, so it "
         "teaches the very mistake the user asked about. For a usage question that is a "
         "significant error, not a slip.",
         ("judge missed fact",), MEDIUM),
    Call("help-016", F, "3",
         "The two definitions and the mnemonic are right and most of the answer helps; the "
         "ticked third example is an error, but I'd call the whole partly helpful rather than "
         "mostly unhelpful.",
         ("judge missed fact",), MEDIUM),
    Call("help-017", L, "5",
         "Clear week-by-week structure that builds to a full simulation and tapers before the "
         "exam, and it fits the 25 hours the user has."),
    Call("help-017", F, "5",
         "A realistic, practice-heavy plan covering the MBE subjects, essays, a full simulation "
         "and the performance test, with the 25 hours split; a 10-week plan needs no "
         "day-by-day schedule.",
         (), HIGH),
    Call("help-018", A, "5",
         "Lip swelling and wheeze after a sting is anaphylaxis: 999, adrenaline in the outer "
         "thigh, positioning and a second dose after 5 minutes are all correct. Antihistamines "
         "are not first-line and must not delay adrenaline, so the judge's deduction is wrong.",
         ("judge missed fact", "safety"), HIGH),
    Call("help-018", F, "5",
         "Clear, ordered emergency steps for exactly the situation described; nothing important "
         "is missing."),
)
# fmt: on


class FixedClock:
    """Stands in for ``now_iso`` in the review service: the time only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def advance(self, minutes: int) -> None:
        self.at += timedelta(minutes=minutes)

    def now_iso(self) -> str:
        return self.at.isoformat(timespec="seconds").replace("+00:00", "Z")


def minutes_for(call: Call) -> int:
    """Time spent on a case: reading it and writing the rationale (deterministic)."""
    return 2 + len(call.rationale) // 70


@contextmanager
def fixed_clock(clock: FixedClock) -> Iterator[None]:
    with mock.patch.object(review_module, "now_iso", clock.now_iso):
        yield


def calls_of(reviewer: Reviewer) -> list[Call]:
    return [c for c in CALLS if c.reviewer is reviewer]


def check_calls() -> None:
    """Each reviewer decides a case at most once; every case is decided by someone."""
    pairs = Counter((c.case, c.reviewer.name) for c in CALLS)
    twice = [f"{case} by {who}" for (case, who), n in pairs.items() if n > 1]
    if twice:
        raise SystemExit(f"decided twice: {', '.join(twice)}")


def write_reviewer_file(reviewer: Reviewer, out_dir: Path, scratch: Path) -> Path:
    """Import the sample into a new workspace, decide as ``reviewer``, export the file."""
    ws = Workspace.open(scratch / f"{reviewer.slug}.annotator")
    try:
        import_file(ws, SAMPLE)
        clock = FixedClock(reviewer.start)
        with fixed_clock(clock):
            service = ReviewService(ws, reviewer.name)
            rows: list[tuple[int, Call]] = []
            for call in calls_of(reviewer):
                row_id = service.row_id(call.case)
                if row_id is None:
                    raise SystemExit(f"{call.case} is not a case of {SAMPLE.name}")
                rows.append((row_id, call))
            for row_id, call in sorted(rows, key=lambda pair: pair[0]):  # in queue order
                service.decide(
                    row_id,
                    call.label,
                    call.rationale,
                    tags=call.tags,
                    confidence=call.confidence,
                )
                clock.advance(minutes_for(call))
        out = out_dir / f"{reviewer.slug}.jsonl"
        export_decisions(ws, out)
    finally:
        ws.close()
    return out


def check_coverage(scratch: Path) -> None:
    ws = Workspace.open(scratch / "coverage.annotator")
    try:
        import_file(ws, SAMPLE)
        service = ReviewService(ws)
        cases = {c.case for c in CALLS}
        unknown = sorted(c for c in cases if service.row_id(c) is None)
        if unknown:
            raise SystemExit(f"not cases of {SAMPLE.name}: {', '.join(unknown)}")
        missing = ws.case_count() - len(cases)
        if missing:
            raise SystemExit(f"{missing} cases of {SAMPLE.name} are decided by nobody")
    finally:
        ws.close()


def verify_merge(files: list[Path], scratch: Path) -> None:
    """Merge the files on their own, and into a lead's workspace made from the sample."""
    _cases, report = merge_files(files)
    print(report.describe())
    lead = Workspace.open(scratch / "lead.annotator")
    try:
        import_file(lead, SAMPLE)
        into_lead = merge_into_workspace(lead, files)
    finally:
        lead.close()
    if (into_lead.unanimous, into_lead.conflicts) != (report.unanimous, report.conflicts):
        raise SystemExit(
            f"the lead's workspace counts {into_lead.unanimous} unanimous and "
            f"{into_lead.conflicts} conflicts; the files alone {report.unanimous} and "
            f"{report.conflicts}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write (default: {OUT})")
    args = parser.parse_args(argv)
    check_calls()
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(_BASEDIR.name) / "workspaces"
    scratch.mkdir(parents=True, exist_ok=True)
    check_coverage(scratch)
    files: list[Path] = []
    for reviewer in REVIEWERS:
        path = write_reviewer_file(reviewer, out_dir, scratch)
        print(f"{path}: {len(calls_of(reviewer))} decisions by {reviewer.name}")
        files.append(path)
    verify_merge(files, scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
