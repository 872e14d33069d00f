"""``python -m planner``: the same as the ``planner`` command."""

import sys

from planner import interrupt

try:
    interrupt.install()  # before the command's modules load: a Ctrl-C then ends quietly too
    from planner.cli import main
except KeyboardInterrupt:
    print(f"{interrupt.describe()}: nothing was written", file=sys.stderr)
    sys.exit(interrupt.exit_status())

sys.exit(main())
