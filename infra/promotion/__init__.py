"""Promotion and demotion of an environment between phase stacks, driving the real Pulumi CLI.

The offline guard comes from :mod:`infra.offline.diff`; this package moves state with
``pulumi state move``, gates on a saved ``pulumi preview`` plan and runs ``up`` of exactly it.
"""
