"""The offline tools: run the stack program under mocks and read what it would build.

Nothing here needs a cloud account or the Pulumi CLI: the harness records every registration,
and the plan, diff, manifest, schema, cost, capacity and diagram views are computed from it.
"""
