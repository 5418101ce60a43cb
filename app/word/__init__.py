"""Word exports of draft rounds: model.py says what an export holds, loader.py reads it from the
database, changes.py turns two rounds into a redline, writer.py makes the .docx (pure), with
revisions.py (tracked changes and comments), template.py and package.py beneath it."""
