import sys

from ops.generate.cli import main

sys.exit(main())
