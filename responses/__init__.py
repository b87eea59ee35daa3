"""Response drafts: the evidence vault and everything ``opco-watch draft`` writes.

    settings.py         the [documents] and [responses] config sections (+ example.toml)
    vault.py            documents, their status (valid, expiring, expired, missing), blockers
    matching.py         catalogue courses, trainers, lots and places that fit a call
    skeleton.py         the mémoire technique skeleton and the 32 Qualiopi indicators
    context.py          the template context (sections.py: its per-section part)
    checklist.py        every piece a consultation asks for, with its status
    render.py           template lookup (user overrides) and sandboxed, escaped rendering
    bundle.py           dossier.zip
    draft.py            make_draft: the orchestration
    templates_check.py  the template linter
    build_templates.py  writes the shipped .docx templates (docx_builder.py helps)
    sample.py, demo.py  a sample call for the linter and the bench; the demo's drafting step

Nothing is imported here: ``watcher.config`` imports ``responses.settings`` alone.
"""
