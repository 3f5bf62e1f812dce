"""Paper Lab's support package: course tooling (the `paperlab` CLI), shared lesson helpers, one module per theme."""
