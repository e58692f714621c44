"""``python -m benchmarks``: run every benchmark and print one table."""

from benchmarks.main import main

raise SystemExit(main())
