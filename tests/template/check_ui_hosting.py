#!/usr/bin/env python3
"""The web client's hosting in template.yaml (docs/deploy.md, "The web client").

cfn-lint checks that the template is valid; these checks fail when it is still valid
but the hosting got weaker: a bucket that could become public, a distribution that
serves plain HTTP or bypasses Origin Access Control, a looser CSP, the UI's origin
missing from an Origin allowlist, or a dependency from the distribution back to the
HTTP API (a cycle). Also runs the SPA rewrite function (with node, when installed) and
checks that infra/deploy-ui.sh writes the fields web/src/client/config.ts reads.

    python3 tests/template/check_ui_hosting.py    # needs PyYAML (cfn-lint brings it)
"""

import json
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UI_ORIGIN = "https://${UiDistribution.DomainName}"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, turned into their long form."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template():
    with open(ROOT / "template.yaml", encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def text(value):
    """Every string inside a value, joined: enough to search Sub/Join/If expressions."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(text(v) for v in value)
    return str(value)


def references(value):
    """Logical ids a value refers to (Ref, GetAtt, ${...} in Sub)."""
    found = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                body = inner[0] if isinstance(inner, list) else inner
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", body))
                if isinstance(inner, list):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def if_branches(value):
    """The two outcomes of a top-level Fn::If (or the value itself)."""
    if isinstance(value, dict) and "Fn::If" in value:
        return value["Fn::If"][1:]
    return [value]


class UiHosting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = load_template()
        cls.r = cls.t["Resources"]

    def props(self, logical_id, expected_type):
        resource = self.r.get(logical_id)
        self.assertIsNotNone(resource, f"template.yaml has no {logical_id}")
        self.assertEqual(resource["Type"], expected_type, logical_id)
        return resource["Properties"]

    def test_ui_bucket_is_private_and_encrypted(self):
        p = self.props("UiBucket", "AWS::S3::Bucket")
        block = p["PublicAccessBlockConfiguration"]
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            self.assertIs(block.get(key), True, key)
        self.assertEqual(p["OwnershipControls"]["Rules"][0]["ObjectOwnership"], "BucketOwnerEnforced")
        sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        self.assertIn(sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"], ("AES256", "aws:kms"))
        self.assertNotIn("WebsiteConfiguration", p, "served through CloudFront, not as a website")

    def test_ui_bucket_policy_allows_only_the_distribution_over_tls(self):
        p = self.props("UiBucketPolicy", "AWS::S3::BucketPolicy")
        self.assertEqual(p["Bucket"], {"Ref": "UiBucket"})
        statements = p["PolicyDocument"]["Statement"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        self.assertTrue(
            any(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for s in deny),
            "no TLS-only statement",
        )
        allow = [s for s in statements if s["Effect"] == "Allow"]
        self.assertEqual(len(allow), 1, "exactly one Allow: the distribution's reads")
        (s,) = allow
        self.assertEqual(s["Principal"], {"Service": "cloudfront.amazonaws.com"})
        self.assertEqual(s["Action"], "s3:GetObject")
        source_arn = s["Condition"]["StringEquals"]["aws:SourceArn"]
        self.assertIn("UiDistribution", references(source_arn))
        self.assertIn(":distribution/", text(source_arn))

    def test_distribution_uses_oac_https_and_the_spa_rewrite(self):
        oac = self.props("UiOriginAccessControl", "AWS::CloudFront::OriginAccessControl")
        self.assertEqual(oac["OriginAccessControlConfig"]["SigningBehavior"], "always")
        config = self.props("UiDistribution", "AWS::CloudFront::Distribution")["DistributionConfig"]
        self.assertEqual(config["DefaultRootObject"], "index.html")
        self.assertIn(config["HttpVersion"], ("http2and3",))
        (origin,) = config["Origins"]
        self.assertEqual(origin["OriginAccessControlId"], {"Fn::GetAtt": ["UiOriginAccessControl", "Id"]})
        self.assertEqual(origin["S3OriginConfig"].get("OriginAccessIdentity", ""), "", "no legacy OAI")
        self.assertIn("UiBucket", references(origin["DomainName"]))
        self.assertNotIn("CustomErrorResponses", config, "SPA routes use the viewer-request function")
        behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
        for b in behaviours:
            self.assertEqual(b["ViewerProtocolPolicy"], "redirect-to-https")
            self.assertEqual(b["ResponseHeadersPolicyId"], {"Ref": "UiResponseHeadersPolicy"})
            self.assertEqual(b["AllowedMethods"], ["GET", "HEAD"])
        default = config["DefaultCacheBehavior"]
        self.assertEqual(default["CachePolicyId"], CACHING_DISABLED, "index.html/config.json uncached")
        (fn,) = default["FunctionAssociations"]
        self.assertEqual(fn["EventType"], "viewer-request")
        self.assertIn("UiSpaRewrite", references(fn["FunctionARN"]))
        assets = [b for b in config.get("CacheBehaviors", []) if b["PathPattern"] == "/assets/*"]
        self.assertEqual(len(assets), 1, "no /assets/* behaviour")
        self.assertEqual(assets[0]["CachePolicyId"], CACHING_OPTIMIZED)

    def test_security_headers(self):
        config = self.props("UiResponseHeadersPolicy", "AWS::CloudFront::ResponseHeadersPolicy")
        headers = config["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        csp = " ".join(text(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split())
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "img-src 'self' blob: data:",
        ):
            self.assertIn(directive, csp)
        self.assertNotIn("unsafe-", csp)
        self.assertIn("wss://${WebSocketApi}.execute-api.", csp)
        self.assertTrue(headers["ContentSecurityPolicy"]["Override"])
        self.assertGreaterEqual(headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"], 31536000)
        self.assertIn("ContentTypeOptions", headers)
        self.assertEqual(headers["FrameOptions"]["FrameOption"], "DENY")
        self.assertEqual(headers["ReferrerPolicy"]["ReferrerPolicy"], "no-referrer")

    def test_the_ui_origin_is_in_every_origin_allowlist(self):
        allowlists = {
            "Globals CHAT_ALLOWED_ORIGINS": self.t["Globals"]["Function"]["Environment"]["Variables"][
                "CHAT_ALLOWED_ORIGINS"
            ],
            "HttpApi CORS": self.props("HttpApi", "AWS::Serverless::HttpApi")["CorsConfiguration"]["AllowOrigins"],
            "FilesBucket CORS": self.props("FilesBucket", "AWS::S3::Bucket")["CorsConfiguration"]["CorsRules"][0][
                "AllowedOrigins"
            ],
        }
        for name, value in allowlists.items():
            if isinstance(value, dict) and "Fn::Split" in value:
                value = value["Fn::Split"][1]
            for branch in if_branches(value):
                self.assertIn(UI_ORIGIN, text(branch), f"{name}: {branch}")
        # No function may replace the global list with one lacking the UI's origin.
        for logical_id, resource in self.r.items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            own = resource["Properties"].get("Environment", {}).get("Variables", {})
            if "CHAT_ALLOWED_ORIGINS" in own:
                for branch in if_branches(own["CHAT_ALLOWED_ORIGINS"]):
                    self.assertIn(UI_ORIGIN, text(branch), logical_id)

    def test_the_distribution_does_not_depend_on_the_apis_functions(self):
        # The functions and the HTTP API (through its CORS rule) depend on the
        # distribution, so nothing it needs may depend on them.
        seen, todo = set(), ["UiDistribution"]
        while todo:
            logical_id = todo.pop()
            if logical_id in seen or logical_id not in self.r:
                continue
            seen.add(logical_id)
            resource = self.r[logical_id]
            todo.extend(references(resource.get("Properties", {})))
            depends = resource.get("DependsOn", [])
            todo.extend([depends] if isinstance(depends, str) else depends)
        self.assertNotIn("HttpApi", seen)
        self.assertNotIn("FilesBucket", seen)
        functions = {k for k, v in self.r.items() if v["Type"] == "AWS::Serverless::Function"}
        self.assertFalse(seen & functions, f"the distribution needs {seen & functions}")

    def test_outputs(self):
        outputs = self.t["Outputs"]
        self.assertEqual(outputs["UiBucketName"]["Value"], {"Ref": "UiBucket"})
        self.assertEqual(outputs["UiDistributionId"]["Value"], {"Ref": "UiDistribution"})
        self.assertEqual(outputs["UiUrl"]["Value"], {"Fn::Sub": UI_ORIGIN})

    @unittest.skipUnless(shutil.which("node"), "node is not installed")
    def test_spa_rewrite_function(self):
        code = self.props("UiSpaRewrite", "AWS::CloudFront::Function")["FunctionCode"]
        cases = {
            "/": "/index.html",
            "/join": "/index.html",
            "/join/": "/index.html",
            "/index.html": "/index.html",
            "/config.json": "/config.json",
            "/assets/index-NWGSSQlT.js": "/assets/index-NWGSSQlT.js",
            "/assets/index-yrMHj-xb.css": "/assets/index-yrMHj-xb.css",
        }
        script = code + (
            "\nconst cases = JSON.parse(process.argv[1]);"
            "\nconst out = {};"
            "\nfor (const uri of Object.keys(cases)) out[uri] = handler({request: {uri}}).uri;"
            "\nconsole.log(JSON.stringify(out));"
        )
        run = subprocess.run(
            ["node", "-e", script, json.dumps(cases)], capture_output=True, text=True, check=True
        )
        self.assertEqual(json.loads(run.stdout), cases)

    def test_deploy_script_writes_the_fields_the_client_reads(self):
        config_ts = (ROOT / "web/src/client/config.ts").read_text(encoding="utf-8")
        interface = re.search(r"interface RuntimeConfig \{(.*?)\}", config_ts, re.S).group(1)
        fields = set(re.findall(r"^\s*(\w+): string;", interface, re.M))
        self.assertEqual(fields, {"apiUrl", "wsUrl"}, "RuntimeConfig changed: update infra/deploy-ui.sh")
        script = (ROOT / "infra/deploy-ui.sh").read_text(encoding="utf-8")
        written = re.search(r"printf '(\{.*\})\\n'.*config\.json", script).group(1)
        self.assertEqual(set(re.findall(r'"(\w+)": "%s"', written)), fields)


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
