"""The course tooling: the `paperlab` command and what it uses to find, build, execute, release,
check and grade the notebooks. Lessons never import from here; hidden tests use `utils.testing`."""
