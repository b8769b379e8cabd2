"""One builder per policy kind; each returns a policy document (a dict)."""
