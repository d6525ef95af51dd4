"""Speed, memory and retrieval-quality measurements (not tests): run with `make bench`."""
