"""Writers of the local models. Views and tasks call these; nothing else writes."""
