"""`stackpick ask` imports only what answering needs: no torch, no Slack, no HTML extraction, no search libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("torch", "transformers", "sentence_transformers", "slack_bolt", "slack_sdk", "trafilatura", "faiss",
         "bm25s", "scipy", "uvicorn", "starlette", "sqlalchemy", "redis", "httpx")

PROBE = """
import json, sys
sys.argv = ["stackpick", "ask", "Node or Python for a real-time chat app?", "--json"]
from bot.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(%r)))
print("IMPORTED " + json.dumps({"code": code, "heavy": heavy}))
"""


def test_ask_answers_without_importing_heavy_packages(built_index) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE % json.dumps(HEAVY)], env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout.split("IMPORTED ", 1)[1])
    answer = json.loads(result.stdout.splitlines()[0])
    assert report["code"] in (0, None), result.stderr
    assert answer["verdict"] in ("node", "python", "both", "depends") and answer["citations"]
    assert report["heavy"] == [], f"ask imported {report['heavy']}"
