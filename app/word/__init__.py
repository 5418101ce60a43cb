"""Word files of draft rounds, pure: nothing here reads the database or calls a service
(tests/test_layering.py holds it to that). model.py says what an export holds (the use case,
app/rounds/export_loader.py, reads it from the database), changes.py turns two rounds into a
redline, writer.py makes the .docx: each variant a pipeline of named steps (cover.py, draft.py,
compilation.py, response_table.py, finish.py) over a shared build.py, with runs.py,
revisions.py (tracked changes and comments), template.py and package.py beneath them;
reader.py, returned.py and authored.py read a Word file that comes back."""
