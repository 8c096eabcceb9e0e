"""Evaluation: scores and statistics (:mod:`.metrics`), runs side by side (:mod:`.comparison`)
and the one-file HTML report (:mod:`.report`); import from the module that holds what you need.
"""
