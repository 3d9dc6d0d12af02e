"""govledger benchmarks: `python -m benchmarks.run --smoke|--full` (make bench-smoke / make bench)."""
