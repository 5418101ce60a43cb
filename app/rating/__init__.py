"""Rating rounds (issue 20): a panel rates indicators in a Delphi survey, seeing the group's answers
between rounds. stats.py, results.py and csv_export.py are pure (no database, no app imports
besides each other); the service, API and pages build on them."""
