"""annotator: offline review of disagreements between an LLM judge and human raters."""

__version__ = "0.1.0"
APP_NAME = "annotator"
