"""Request body limits a WAFv2 web ACL can enforce, as pure rule-statement builders.

Why not a plain body size constraint: a load balancer forwards only the first 8 KB (8,192 bytes)
of a body to WAF, a fixed limit (CloudFront, API Gateway, Cognito, App Runner and Verified Access
forward 16 KB by default, up to 64 KB). Beyond it only the statement's oversize handling decides
(CONTINUE, MATCH or NO_MATCH), so a size constraint can enforce a limit of at most 8 KB:
https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html

Above 8 KB WAF can only read what the client declares: the ``Content-Length`` header, a decimal
number of bytes (RFC 9112 §6.2). A regex that matches exactly the integers above the limit turns
it into a size check. What that cannot see, and what therefore the API itself must refuse:

- bodies without ``Content-Length`` (HTTP/1.1 ``Transfer-Encoding: chunked``; HTTP/2 and gRPC
  may omit it) - WAF inspects at most their first 8 KB;
- a ``Content-Length`` beyond the first 200 headers or 8 KB of headers, which WAF does not see:
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-oversize-request-components.html

Regex constraints relied on: PCRE syntax without capturing groups, backreferences, possessive
quantifiers, large quantifier values or many ``|`` branches
(https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html); at most
200 characters per pattern (https://docs.aws.amazon.com/waf/latest/developerguide/limits.html;
the API field itself takes 512:
https://docs.aws.amazon.com/waf/latest/APIReference/API_RegexMatchStatement.html).
"""

from __future__ import annotations

#: The body inspection limit of an Application Load Balancer (fixed), the smallest of all resource
#: types: a size constraint with oversize MATCH is exact for limits up to it, whatever the resource.
BODY_INSPECTION_LIMIT_BYTES = 8192

#: AWS WAF's fixed quota on the characters of one regex pattern.
MAX_REGEX_LENGTH = 200

#: The header whose value a request declares its body size in; WAF header names are case-insensitive
#: (https://docs.aws.amazon.com/waf/latest/APIReference/API_SingleHeader.html).
CONTENT_LENGTH = "content-length"

#: No text transformation: the value is matched as received. The API needs at least one entry
#: (https://docs.aws.amazon.com/waf/latest/APIReference/API_RegexMatchStatement.html).
NO_TRANSFORMATION = [{"priority": 0, "type": "NONE"}]


def _digits(count: int) -> str:
    r"""``count`` decimal digits as a compact regex (``""``, ``\d``, ``\d{3}``)."""
    return "" if count == 0 else r"\d" if count == 1 else rf"\d{{{count}}}"


def greater_than_regex(limit: int) -> str:
    r"""A PCRE that matches a decimal integer (optionally zero-padded, with surrounding blanks)
    exactly when its value is greater than ``limit``.

    Branches: any number with more significant digits than ``limit``, or one with as many digits
    that shares a prefix with ``limit`` and then has a greater digit. Groups are non-capturing
    (WAF refuses capturing ones) and ``\d``/``\s`` are ASCII in PCRE without UCP.
    """
    if limit < 0:
        raise ValueError(f"limit must be a non-negative integer, got {limit}")
    digits = str(limit)
    branches = [rf"[1-9]\d{{{len(digits)},}}"]
    for position, digit in enumerate(digits):
        if digit == "9":
            continue  # no greater digit at this position
        greater = "9" if digit == "8" else f"[{int(digit) + 1}-9]"
        branches.append(digits[:position] + greater + _digits(len(digits) - position - 1))
    return rf"^\s*0*(?:{'|'.join(branches)})\s*$"


def body_limit_statement(max_body_bytes: int) -> dict:
    """The statement matching requests whose body exceeds ``max_body_bytes``.

    Up to the 8 KB inspection limit, a body size constraint whose oversize handling is MATCH is
    exact and also covers bodies without ``Content-Length``. Above it, the declared
    ``Content-Length`` is compared through :func:`greater_than_regex` (see the module docstring
    for what that leaves to the application).
    """
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be at least 1, got {max_body_bytes}")
    if max_body_bytes <= BODY_INSPECTION_LIMIT_BYTES:
        return {
            "size_constraint_statement": {
                "comparison_operator": "GT",
                "size": max_body_bytes,
                "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                "text_transformations": NO_TRANSFORMATION,
            }
        }
    return {
        "regex_match_statement": {
            "regex_string": greater_than_regex(max_body_bytes),
            "field_to_match": {"single_header": {"name": CONTENT_LENGTH}},
            "text_transformations": NO_TRANSFORMATION,
        }
    }
