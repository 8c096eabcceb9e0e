"""Evaluation: metrics and comparisons of runs (:mod:`.metrics`), the report (:mod:`.report`)."""
