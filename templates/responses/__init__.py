"""Shipped response templates (package data): the mémoire technique (.docx and Markdown), the
DC1 and DC2 forms, the checklist (Markdown and HTML). ``responses/build_templates.py`` writes
the .docx files; an organisation overrides any of them from its own templates folder."""
