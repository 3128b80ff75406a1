# The distribution's version, as the server reports it in `serverInfo`. Kept equal to
# server/pyproject.toml's `[project].version` (tests/test_version.py checks it).
VERSION = "0.1.0"
