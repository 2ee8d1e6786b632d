"""Pure domain: cases, label schemes, disagreement and decision rules. No Qt, no storage."""
