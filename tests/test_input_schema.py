"""Every AWS/random resource of the four phases matches the installed SDK's input schema, key by key
and block by block; and the checker provably catches what the mocks let through."""

from __future__ import annotations

import copy

import pulumi_aws as aws
import pytest

from infra.offline.harness import run_program
from infra.offline.schema import (
    args_schema,
    check_inputs,
    init_parameters,
    input_problems,
    resource_args_class,
    resource_class,
)
from tests.conftest import PHASES, plan_of

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def _deep_checked(plan):
    return [r for r in plan.resources if r.custom and r.type.startswith(("aws:", "random:", "pulumi:providers:aws"))]


def _first_inputs(type_token: str) -> dict:
    """Inputs of the ``type_token`` resource with the lowest URN (registration order is not fixed)."""
    return copy.deepcopy(min(plan_of("phase1").of_type(type_token), key=lambda r: r.urn).inputs)


@pytest.mark.parametrize("stack", PHASES)
def test_every_aws_and_random_resource_matches_the_sdk_schema(stack):
    plan = plan_of(stack)
    problems = [p for r in _deep_checked(plan) for p in input_problems(r.type, r.inputs)]
    assert problems == []
    # The check is real: every one of them resolved to an SDK input type and nothing was skipped.
    reports = [check_inputs(r.type, r.inputs) for r in _deep_checked(plan)]
    assert all(rep.args_class is not None and rep.opaque == [] for rep in reports)
    assert sum(rep.checked for rep in reports) > 1000


@pytest.mark.parametrize("stack", PHASES)
def test_kubernetes_resources_have_valid_top_level_arguments(stack):
    plan = plan_of(stack)
    kubernetes = [r for r in plan.resources if r.custom and r.type.startswith(("kubernetes:", "pulumi:providers:k"))]
    assert kubernetes
    assert [p for r in kubernetes for p in input_problems(r.type, r.inputs)] == []


def test_the_checker_resolves_nearly_every_annotation_it_meets():
    schemas = set()
    for stack in PHASES:
        for resource in _deep_checked(plan_of(stack)):
            schemas |= check_inputs(resource.type, resource.inputs).schemas
    properties = sum(len(args_schema(cls).properties) for cls in schemas)
    unresolved = sum(len(args_schema(cls).unresolved) for cls in schemas)
    assert len(schemas) > 50 and properties > 500
    assert unresolved <= properties // 100


def test_top_level_keys_are_the_internal_init_parameters_in_wire_form():
    tokens = {r.type for r in _deep_checked(plan_of("phase4"))}
    assert len(tokens) > 50
    for token in tokens:
        args = resource_args_class(token)
        python_names = {name for name, member in vars(args).items() if isinstance(member, property)}
        assert init_parameters(token) <= python_names, token
    assert set(args_schema(resource_args_class(WEB_ACL)).properties) >= {"defaultAction", "visibilityConfig", "rules"}


def test_token_mapping_follows_the_sdk_registry():
    assert resource_class(WEB_ACL) is aws.wafv2.WebAcl
    assert resource_class("pulumi:providers:aws") is aws.Provider
    # The nested-block type aws.s3.BucketVersioningArgs shadows the resource's own args by name.
    assert resource_args_class("aws:s3/bucketVersioning:BucketVersioning").__name__ == "BucketVersioningInitArgs"
    assert resource_class("aws:wafv2/webAcl:WebAcll") is None


def test_misspelled_nested_key_in_a_real_web_acl_is_caught():
    inputs = _first_inputs(WEB_ACL)
    statement = inputs["rules"][0]["statement"]["managedRuleGroupStatement"]
    statement["vendor"] = statement.pop("vendorName")
    (problem,) = input_problems(WEB_ACL, inputs)
    assert problem.startswith(
        f"{WEB_ACL} rules[0].statement.managedRuleGroupStatement: unknown key 'vendor', did you mean 'vendorName'?"
    )
    assert "(allowed: managedRuleGroupConfigs, name, ruleActionOverrides, scopeDownStatement, vendorName, version)" in (
        problem
    )


def test_misspelled_key_in_a_launch_template_block_is_caught():
    inputs = _first_inputs(LAUNCH_TEMPLATE)
    inputs["blockDeviceMappings"][0]["ebs"]["encryption"] = inputs["blockDeviceMappings"][0]["ebs"].pop("encrypted")
    inputs["metadataOptions"]["httpToken"] = inputs["metadataOptions"].pop("httpTokens")
    problems = sorted(input_problems(LAUNCH_TEMPLATE, inputs))
    assert len(problems) == 2
    assert problems[0].startswith(f"{LAUNCH_TEMPLATE} blockDeviceMappings[0].ebs: unknown key 'encryption'")
    assert problems[1].startswith(f"{LAUNCH_TEMPLATE} metadataOptions: unknown key 'httpToken'")


def test_misspelled_or_snake_case_top_level_key_is_caught():
    inputs = _first_inputs(WEB_ACL)
    inputs["default_action"] = inputs.pop("defaultAction")
    inputs["descripton"] = inputs.pop("description")
    problems = input_problems(WEB_ACL, inputs)
    assert [p.split(",")[0] for p in problems] == [
        f"{WEB_ACL}: unknown key 'default_action'",
        f"{WEB_ACL}: unknown key 'descripton'",
    ]


def test_wrong_structure_is_caught():
    inputs = _first_inputs(WEB_ACL)
    inputs["visibilityConfig"] = [inputs["visibilityConfig"]]
    inputs["description"] = {"text": "not a string"}
    assert input_problems(WEB_ACL, inputs) == [
        f"{WEB_ACL} visibilityConfig: got a list, expected an object (WebAclVisibilityConfigArgs)",
        f"{WEB_ACL} description: got an object, expected a scalar",
    ]


def test_free_form_maps_accept_any_key():
    inputs = _first_inputs(WEB_ACL)
    inputs["tags"] = {"single_heder": "x", "kubernetes.io/cluster/acme": "owned", "": ""}
    assert input_problems(WEB_ACL, inputs) == []
    role = {"assumeRolePolicy": "{}", "tags": {"any key": "v"}, "name": "r"}
    assert input_problems("aws:iam/role:Role", role) == []


def test_secret_values_are_checked_through_their_wrapper():
    inputs = _first_inputs(LAUNCH_TEMPLATE)
    inputs["metadataOptions"] = {**SECRET_SIG, "value": {"httpTokenz": "required"}}
    (problem,) = input_problems(LAUNCH_TEMPLATE, inputs)
    assert problem.startswith(f"{LAUNCH_TEMPLATE} metadataOptions: unknown key 'httpTokenz'")


def test_same_named_nested_types_of_different_services_are_kept_apart():
    # elasticache and rds both define ParameterGroupParameterArgs; only rds has applyMethod. The
    # annotations share one cached ForwardRef, so a careless evaluation would mix them up.
    parameter = {"name": "p", "value": "1", "applyMethod": "pending-reboot"}
    cache = input_problems("aws:elasticache/parameterGroup:ParameterGroup", {"parameters": [parameter]})
    assert len(cache) == 1 and "unknown key 'applyMethod'" in cache[0]
    assert input_problems("aws:rds/parameterGroup:ParameterGroup", {"parameters": [parameter]}) == []


def test_unknown_and_open_ended_types():
    assert input_problems("aws:wafv2/webAcl:WebAcll", {}) == [
        "aws:wafv2/webAcl:WebAcll: no resource class for this type in the installed SDK"
    ]
    custom = check_inputs("kubernetes:keda.sh/v1alpha1:ScaledObject", {"spec": {"anything": 1}})
    assert custom.problems == [] and custom.opaque == [""]


def test_a_typo_the_mocks_accept_is_caught_end_to_end():
    """The gap this checker closes: the SDK passes an unknown nested key through untranslated."""

    def program():
        aws.wafv2.WebAclLoggingConfiguration(
            "logging",
            resource_arn="arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/b",
            log_destination_configs=["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-a"],
            redacted_fields=[{"single_header": {"name": "cookie"}}, {"single_heder": {"name": "authorization"}}],
        )

    (logging,) = run_program(program).of_type(WAF_LOGGING)
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "cookie"}},
        {"single_heder": {"name": "authorization"}},
    ]
    (problem,) = input_problems(WAF_LOGGING, logging.inputs)
    assert problem.startswith(
        f"{WAF_LOGGING} redactedFields[1]: unknown key 'single_heder', did you mean 'singleHeader'?"
    )
