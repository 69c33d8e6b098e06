"""CrossGuard policy pack: ``pulumi preview --policy-pack policy``.

The rules live in ``rules.py`` as plain functions, so the offline tests run the very same checks
over every phase's plan; ``pack.py`` wraps them as policies.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# The policy runtime runs this file as a script; make the sibling modules importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pack import build_policies  # noqa: E402

PolicyPack(name="platform-policy", enforcement_level=EnforcementLevel.MANDATORY, policies=build_policies())
