"""The Pulumi program (``Pulumi.yaml`` has ``main: infra/``): validate the config, build the stack.

Pulumi runs this file as a script with ``infra/`` as its directory, so the project root, which
holds the ``infra`` and ``components`` packages, is put on the import path first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import main  # noqa: E402 - needs the path set above

main()
