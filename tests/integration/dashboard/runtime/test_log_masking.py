"""The `gridwatch` command writes its log lines masked (it runs as its own process)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from data.masking import mask_id_number, mask_phone

ID_NUMBER = "41010519900101123X"
PHONE = "13812345678"


def test_the_gridwatch_command_masks_its_log_lines(tmp_path):
    """The real `gridwatch` entry point installs the filter on the root handlers."""
    script = textwrap.dedent(
        f"""
        import logging, click
        from dashboard.cli import main

        @main.command("say")
        def say():
            logging.getLogger("gridwatch.import").warning(
                "resident %s, phone %s", "{ID_NUMBER}", "{PHONE}"
            )

        main(["say"])
        """
    )
    env = {**os.environ, "GRIDWATCH_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    output = result.stdout + result.stderr
    assert "gridwatch.import" in output, output
    assert ID_NUMBER not in output and PHONE not in output
    assert mask_id_number(ID_NUMBER) in output and mask_phone(PHONE) in output
