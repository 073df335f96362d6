"""The integrator's example (examples/report_concern.py) runs as written against the demo: a
teacher reports a concern picking the pupil by name, the DSL's webhook arrives signed, and the
DSL reads the chronology."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api.auth import issue_dev_token

EXAMPLE = Path(__file__).parents[2] / "examples" / "report_concern.py"


def test_the_example_client_reports_receives_the_webhook_and_reads_the_chronology(
    live, demo, settings
):
    ran = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--url",
            live.url,
            "--teacher-token",
            issue_dev_token(settings, "teacher@primary.demo"),
            "--dsl-token",
            issue_dev_token(settings, "dsl@primary.demo"),
            "--pupil",
            "amira",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2. picked Amira Khan" in ran.stdout
    assert "signature verified" in ran.stdout
    assert "4. the DSL's chronology:" in ran.stdout
    assert "reported" in ran.stdout.split("4. the DSL's chronology:")[1]
