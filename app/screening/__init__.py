"""Screening case studies against the draft indicators (issue 21): the combination rule and the
metrics, pure."""
