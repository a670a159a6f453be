"""Rasa's own end-to-end test stories (tests/test_stories.yml), run by `rasa test`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_end_to_end_stories_pass(trained_model, action_server, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_server}/webhook"\n'
                         f'  headers:\n    Authorization: "Bearer {action_server.secret}"\n')
    out = tmp_path / "results"
    rasa = Path(sys.executable).parent / "rasa"
    proc = subprocess.run(
        [str(rasa), "test", "core", "--model", str(trained_model),
         "--stories", str(ROOT / "tests" / "test_stories.yml"),
         "--endpoints", str(endpoints), "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=900,
    )
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}\n{detail}"
    assert failed.exists(), "rasa test wrote no results"
    assert "- story:" not in detail, detail
