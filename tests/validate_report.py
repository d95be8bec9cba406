#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`fluxsim run SCENARIO -o json --runs 1` must validate against docs/report.schema.json.

Usage: validate_report.py FLUXSIM SCHEMA SCENARIO [--entry PATH]
Exit 0: valid; 1: invalid (each error printed); 77: python3-jsonschema missing (ctest SKIP_RETURN_CODE).
"""
import json
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipped")
    sys.exit(77)

fluxsim, schema_path, scenario, *extra = sys.argv[1:]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
run = subprocess.run([fluxsim, "run", scenario, "-o", "json", "--runs", "1", *extra], capture_output=True)
if run.returncode not in (0, 1):  # 1: an expectation missed, still a report
    print(f"fluxsim exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    sys.exit(1)
report = json.loads(run.stdout.decode("utf-8"))  # strict: invalid UTF-8 fails here
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(report), key=lambda e: list(e.absolute_path))
for e in errors:
    print(f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}")
if errors:
    sys.exit(1)
print(f"{scenario}: valid ({len(report['kustomizations'])} Kustomizations, {len(run.stdout)} bytes)")
