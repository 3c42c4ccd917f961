"""`python -m twoway.matching PEOPLE.csv --out GROUPS.csv ...` (the `twoway match` command)."""

import sys

from .cli import main

sys.exit(main())
