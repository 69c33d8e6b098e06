"""Promotion preview: what the next phase's program would do to an environment's existing resources.

Promotion moves one environment's state from stack ``phaseN`` to ``phaseN+1`` and then runs the
``phaseN+1`` program against it. This module predicts that run offline: it pairs the resources
of two mock runs (:func:`infra.offline.harness.run_program`) by URN without the stack segment, compares
their inputs and classifies each as create / update / replace / delete / same, using the
force-new table of :mod:`infra.offline.forcenew`. Replacing or deleting anything that holds data is
refused, with the reason and the way out.

Replacements cascade: the mocks derive every ID and ARN from the replacing inputs, so a resource
fed by a replaced one sees its inputs change (and is replaced in turn where those inputs force it).
A data store only *updated* by such a cascade (moved onto a replaced VPC's security groups, a new
cluster role, ...) is refused too: that is a migration, not an update.

The diff is spread over modules by concern: ``model`` (URN helpers, :class:`Change`, :class:`Refusal`,
:class:`PromotionDiff`), ``classify`` (pairing, per-resource classification, the cascade and
:func:`diff_plans`), ``values`` (changed leaf values, secrets masked), ``refusals`` (data stores,
unreplaceable resources, environment and engine checks), ``atlas`` (Atlas cluster refusals and
auto-scaling problems) and ``report`` (the table and JSON of :mod:`infra.offline.diff_view`).
Import from ``infra.offline.diff``, not from the modules.
"""

from infra.offline.diff.atlas import (
    ATLAS_CLUSTER,
    ATLAS_SCALING_REMEDY,
    AtlasSizing,
    atlas_cluster_refusals,
    atlas_scaling_problems,
    atlas_sizing,
)
from infra.offline.diff.classify import diff_plans
from infra.offline.diff.model import ACTIONS, Change, PromotionDiff, Refusal, parse_urn, stackless_urn
from infra.offline.diff.refusals import ENGINE_KEY, ENVIRONMENT_KEY, check_same_engine, check_same_environment
from infra.offline.diff.report import render_table, to_json

__all__ = [
    "ACTIONS",
    "ATLAS_CLUSTER",
    "ATLAS_SCALING_REMEDY",
    "ENGINE_KEY",
    "ENVIRONMENT_KEY",
    "AtlasSizing",
    "Change",
    "PromotionDiff",
    "Refusal",
    "atlas_cluster_refusals",
    "atlas_scaling_problems",
    "atlas_sizing",
    "check_same_engine",
    "check_same_environment",
    "diff_plans",
    "parse_urn",
    "render_table",
    "stackless_urn",
    "to_json",
]
