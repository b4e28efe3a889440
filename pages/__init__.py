"""The notebook's pages. Each module is served at its own URL (the route is the file stem)."""
