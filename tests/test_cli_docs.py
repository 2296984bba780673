import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_generated_from_the_code():
    tool = runpy.run_path(str(ROOT / "tools" / "cli_docs.py"))
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == tool["render"](), (
        "docs/cli.md is stale: run python tools/cli_docs.py")
