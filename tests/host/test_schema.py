"""The published JSON Schema and key reference stay in sync with the schema table."""

from __future__ import annotations

import json
from pathlib import Path

from hostform.cli.main import main
from hostform.host.schema import json_schema, json_schema_text, key_reference
from tests.require import need

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current():
    assert (ROOT / "docs" / "hostform.schema.json").read_text() == json_schema_text(), "run: hostform schema > docs/hostform.schema.json"


def test_docs_list_every_key():
    doc = (ROOT / "docs" / "host-file.md").read_text()
    assert key_reference() in doc, "regenerate the key list in docs/host-file.md with `hostform schema --markdown`"


def test_schema_is_draft_2020_12_with_descriptions():
    s = json_schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    for name, prop in s["properties"].items():
        assert prop.get("description"), name


def test_example_matches_schema():
    """The published schema is a valid draft 2020-12 schema, the example passes it and a wrong key fails it
    (jsonschema, a test dependency, is the validator editors use)."""
    try:
        import jsonschema
    except ImportError:
        need("jsonschema is not installed (pip install -e '.[test]')")
    import yaml

    jsonschema.Draft202012Validator.check_schema(json_schema())
    validator = jsonschema.Draft202012Validator(json_schema())
    data = yaml.safe_load((ROOT / "examples" / "tinkerbell" / "hostform.yaml").read_text())
    assert [e.message for e in validator.iter_errors(data)] == []
    assert [e.message for e in validator.iter_errors({**data, "bogus": 1})] == ["'bogus' does not match any of the regexes: '^x-'"]


def test_cli_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "hostform host file"
