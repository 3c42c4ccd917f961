import sys

from twoway.cli import main

sys.exit(main())
