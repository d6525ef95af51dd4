"""deploy/verify-image.sh's checks of a built image: served against the tests' fake Slack Web API, then compose.

Run by deploy/verify-image.sh with the project's virtualenv (the fake Slack API and the signing sender live in
tests/slack/slack_fakes.py). Every container, network and volume it starts is removed on the way out, also on
failure or Ctrl-C; the image stays.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "slack"))
from slack_fakes import FakeSlack, SlackSender, block_text  # noqa: E402

ARTICLE = REPO / "deploy" / "smoke-article.html"
QUESTION = "Node.js or Python for a real-time chat app?"
DEADLINE = 240.0  # generous: a wait ends as soon as its condition holds, so a slow machine is slower, never red
SERVING_UID = "10001"
IMAGE_PORT = 3000  # EXPOSE and HEALTHCHECK of deploy/Dockerfile


def step(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


def ok(text: str) -> None:
    print(f"    ok: {text}", flush=True)


class Failed(Exception):
    """A check that did not hold; its message says what was expected and what happened."""


def run(*args: str, check: bool = True, timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise Failed(f"`{' '.join(args)}` exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def wait_for(what: str, probe: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    """Poll until `probe` returns something truthy (its last exception is kept for the failure message)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as error:
            last = error
        time.sleep(0.5)
    raise Failed(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(base_url: str) -> bool:
    return httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200


# --------------------------------------------------------------------------------------------------------------
# 1. The image alone, against the tests' fake Slack Web API


@contextmanager
def container(docker: str, image: str, name: str, port: int, fake: FakeSlack, signing_secret: str) -> Iterator[str]:
    # As production runs it (compose, Kubernetes): read-only root, no capabilities, a volume for its state. Host
    # networking, so the container reaches the fake Slack API on this machine's loopback and nothing else.
    run(docker, "run", "-d", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--mount", "type=volume,dst=/var/lib/stackpick",
        "-v", f"{ARTICLE}:/verify/article.html:ro",
        "-e", "SLACK_BOT_TOKEN=xoxb-verify-image", "-e", f"SLACK_SIGNING_SECRET={signing_secret}",
        "-e", f"SLACK_API_URL={fake.api_url}",
        image, "stackpick", "serve", "--http", "--port", str(port))
    try:
        yield name
    except BaseException:
        print(run(docker, "logs", "--tail", "60", name, check=False).stderr, file=sys.stderr)
        raise
    finally:
        run(docker, "rm", "-f", "-v", name, check=False)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def check_image(docker: str, image: str) -> None:
    name = f"stackpick-verify-{os.getpid()}"
    # The image's port, so its HEALTHCHECK runs exactly as written, unless something on this machine holds it.
    port = IMAGE_PORT if port_is_free(IMAGE_PORT) else free_port()
    base_url = f"http://127.0.0.1:{port}"
    signing_secret = secrets.token_hex(16)
    fake = FakeSlack()
    fake._thread.start()
    try:
        step(f"docker run {image}: HTTP mode on 127.0.0.1:{port}, Slack Web API = the tests' fake at {fake.api_url}")
        with container(docker, image, name, port, fake, signing_secret):
            started = time.monotonic()
            wait_for("/healthz to answer 200", lambda: healthz(base_url))
            ok(f"/healthz 200 after {time.monotonic() - started:.1f} s")
            fake.wait_for("auth.test")
            ok("the bot checked its token with auth.test on the fake Slack API")

            health = json.loads(run(docker, "inspect", "-f", "{{json .Config.Healthcheck.Test}}", image).stdout)
            if health[0] != "CMD" or f":{IMAGE_PORT}/healthz" not in " ".join(health):
                raise Failed(f"unexpected HEALTHCHECK: {health}")
            moved = port != IMAGE_PORT
            run(docker, "exec", name, *(h.replace(f":{IMAGE_PORT}/", f":{port}/") for h in health[1:]))
            ok("the image's HEALTHCHECK command exits 0 inside the container"
               + (f" (port {IMAGE_PORT} was taken here: run against {port})" if moved else ""))

            uid = run(docker, "exec", name, "id", "-u").stdout.strip()
            if uid != SERVING_UID:
                raise Failed(f"the container runs as UID {uid}, not {SERVING_UID}")
            ok(f"the container runs as UID {uid}")
            denied = run(docker, "exec", name, "touch", "/opt/stackpick/library/x.md", check=False)
            if denied.returncode == 0:
                raise Failed("the serving user can write to the image's library")
            ok("the image's library is not writable by the serving user")

            sender = SlackSender(base_url, fake, secret=signing_secret)
            try:
                forged = sender.post("{}", "application/json", signature="v0=" + "0" * 64)
                if forged.status_code != 401:
                    raise Failed(f"a request with a forged signature got {forged.status_code}, not 401")
                ok("a request with a forged signature is refused (401)")
                ts = "1700000001.000100"
                acked = sender.mention(QUESTION, ts=ts)
                if acked.status_code != 200:
                    raise Failed(f"the signed mention got HTTP {acked.status_code}")
                [answer] = fake.wait_for("chat.postMessage", timeout=DEADLINE,
                                         where=lambda c: c.args.get("thread_ts") == ts and bool(c.args.get("blocks")))
                first_line = block_text(answer.args["blocks"]).splitlines()[0]
                ok(f"a signed @mention was answered in its thread through the fake Slack API: {first_line!r}")
            finally:
                sender.http.close()

            memory = run(docker, "stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout.strip()
            ok(f"memory of the serving container after answering: {memory}")

            asked = json.loads(run(docker, "exec", name, "stackpick", "ask", "--json", QUESTION).stdout)
            if asked["verdict"] not in {"node", "python", "both", "depends"} or not asked["citations"]:
                raise Failed(f"`stackpick ask` gave no grounded verdict: {asked}")
            ok(f"`stackpick ask` as UID {uid}: verdict {asked['verdict']} ({asked['confidence']:.2f}), "
               f"{len(asked['citations'])} citation(s)")

            # Adding an article needs a writable library: a scratch copy of the image's library and index.
            scratch = run(docker, "exec", name, "mktemp", "-d").stdout.strip()
            run(docker, "exec", name, "cp", "-R", "/opt/stackpick/library", "/opt/stackpick/index", scratch)
            env = [f"--env=STACKPICK_{key}={scratch}/{folder}"
                   for key, folder in (("LIBRARY_DIR", "library"), ("INDEX_DIR", "index"), ("CACHE_DIR", "cache"))]
            added = run(docker, "exec", *env, name, "stackpick", "index", "add", "/verify/article.html").stdout
            listed = json.loads(run(docker, "exec", *env, name, "stackpick", "index", "list", "--json").stdout)
            served = json.loads(run(docker, "exec", name, "stackpick", "index", "list", "--json").stdout)
            run(docker, "exec", name, "rm", "-rf", scratch)
            new = [a["id"] for a in listed if a["id"].startswith("smoke-test-a-webhook-relay")]
            if not added.startswith("Added 1 article") or len(new) != 1 or len(listed) != len(served) + 1:
                raise Failed(f"adding the HTML article in the container failed:\n{added}\n{listed}")
            ok(f"`stackpick index add` of an HTML page as UID {uid}, into a scratch copy of the library: "
               f"{added.splitlines()[0]}; the new index lists {len(listed)} articles, the image's {len(served)}")
    finally:
        fake.server.shutdown()


# --------------------------------------------------------------------------------------------------------------
# 2. deploy/docker-compose.yml, unchanged, with Redis

# A Slack Web API for the compose network, where the tests' fake (on this machine's loopback) cannot be reached:
# every method answers ok, auth.test names the bot, and each call is printed as one JSON line for the checks below.
SLACK_STUB = '''
import itertools, json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
ts = itertools.count(1)
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        args = json.loads(raw or "{}") if "json" in (self.headers.get("Content-Type") or "") else {
            k: v[0] for k, v in parse_qs(raw).items()}
        method = self.path.rsplit("/", 1)[-1]
        body = {"ok": True}
        if method == "auth.test":
            body.update(user_id="UBOT", bot_id="BBOT", team_id="T1", user="stackpick")
        elif method == "chat.postMessage":
            body.update(channel=args.get("channel"), ts="9%05d.000100" % next(ts), message={})
        print(json.dumps({"method": method, "thread_ts": args.get("thread_ts"),
                          "blocks": bool(args.get("blocks"))}), flush=True)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
'''


def check_compose(docker: str, image: str, redis_image: str | None) -> None:
    project = f"stackpick-verify-{os.getpid()}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    signing_secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="stackpick-compose-") as tmp:
        # The compose file as shipped, in a folder of its own: its env_file (../.env) is then this run's dummy
        # credentials, never the checkout's real .env.
        root = Path(tmp)
        (root / "deploy").mkdir()
        compose_file = root / "deploy" / "docker-compose.yml"
        shutil.copy(REPO / "deploy" / "docker-compose.yml", compose_file)
        (root / ".env").write_text(f"SLACK_BOT_TOKEN=xoxb-verify-image\nSLACK_SIGNING_SECRET={signing_secret}\n"
                                   "SLACK_API_URL=http://slack:8080/api/\nSTACKPICK_ADMINS=\n", encoding="utf-8")
        (root / "slack_stub.py").write_text(SLACK_STUB, encoding="utf-8")
        override: dict[str, Any] = {"services": {
            "bot": {"image": image, "pull_policy": "never", "depends_on": {"slack": {"condition": "service_healthy"}}},
            "slack": {"image": image, "pull_policy": "never", "user": f"{SERVING_UID}:{SERVING_UID}",
                      "read_only": True, "command": ["python", "/verify/slack_stub.py"],
                      # Its own check, not the image's (the bot's /healthz on port 3000); the bot waits for it.
                      "healthcheck": {"test": ["CMD", "python", "-c", "import urllib.request; urllib.request."
                                               "urlopen('http://127.0.0.1:8080/api/api.test', timeout=2)"],
                                      "interval": "2s", "timeout": "3s", "retries": 30},
                      "volumes": [f"{root / 'slack_stub.py'}:/verify/slack_stub.py:ro"]},
        }}
        if redis_image:
            override["services"]["redis"] = {"image": redis_image, "pull_policy": "never"}
        override_file = root / "deploy" / "verify.override.yml"
        override_file.write_text(yaml.safe_dump(override), encoding="utf-8")
        compose = [docker, "compose", "-p", project, "-f", str(compose_file), "-f", str(override_file)]
        env_note = f", Redis image {redis_image}" if redis_image else ""
        step(f"docker compose up: deploy/docker-compose.yml as shipped (bot on 127.0.0.1:{port}{env_note})")
        os.environ["STACKPICK_PORT"] = str(port)
        try:
            run(*compose, "up", "-d", "--no-build", "--wait", "--wait-timeout", str(int(DEADLINE)))
            listing = run(*compose, "ps", "--format", "json").stdout.strip()
            # One JSON object per line since Compose 2.21, one JSON array before.
            states = json.loads(listing) if listing.startswith("[") else [
                json.loads(line) for line in listing.splitlines() if line.strip()]
            health = {s["Service"]: s.get("Health") or s.get("State") for s in states}
            if health.get("bot") != "healthy" or health.get("redis") != "healthy":
                raise Failed(f"compose services are not healthy: {health}")
            ok(f"services up: {', '.join(f'{k} {v}' for k, v in sorted(health.items()))}")
            wait_for("/healthz on the published port", lambda: healthz(base_url))
            ok(f"/healthz 200 on the published port {port}")

            fake = FakeSlack()  # only for the sender's signature; the bot talks to the stub on its network
            sender = SlackSender(base_url, fake, secret=signing_secret)
            try:
                first, second = "1700000101.000100", "1700000102.000100"
                if sender.mention(QUESTION, ts=first, event_id="EvVerify1").status_code != 200:
                    raise Failed("the signed mention was not acked")

                def answers(ts: str) -> list[dict[str, Any]]:
                    return [c for c in stub_calls(compose)
                            if c["method"] == "chat.postMessage" and c["thread_ts"] == ts and c["blocks"]]

                wait_for("the answer to the mention", lambda: answers(first))
                # Slack retrying the same event: Redis (SET NX) de-duplicates it, so it is acked, never answered.
                if sender.mention(QUESTION, ts=first, event_id="EvVerify1", retry=1).status_code != 200:
                    raise Failed("the retried event was not acked")
                if sender.mention("And for a data pipeline?", ts=second, event_id="EvVerify2").status_code != 200:
                    raise Failed("the second mention was not acked")
                wait_for("the answer to the second mention", lambda: answers(second))
                if len(answers(first)) != 1:
                    raise Failed(f"the retried event was answered {len(answers(first))} times")
                ok("a signed @mention answered once, its retry (same event id) acked and not answered again")
            finally:
                sender.http.close()
                fake.server.server_close()
            logs = run(*compose, "logs", "--no-color", "bot").stdout
            if "through Redis at redis:6379" not in logs:
                raise Failed(f"the bot does not de-duplicate through Redis:\n{logs[-3000:]}")
            problems = [line for line in logs.splitlines() if "Redis at redis:6379 failed" in line
                        or "unavailable" in line or "Traceback" in line]
            if problems:
                raise Failed("the bot logged Redis problems:\n" + "\n".join(problems))
            keys = run(*compose, "exec", "-T", "redis", "redis-cli", "--scan", "--pattern", "stackpick:event:*").stdout
            if not {"stackpick:event:EvVerify1", "stackpick:event:EvVerify2"} <= set(keys.split()):
                raise Failed(f"Redis does not hold the events' de-duplication keys: {keys.split()}")
            ok("the bot de-duplicates Slack events through Redis at redis:6379 (it holds both events' keys), "
               "with no Redis warning")
        except BaseException:
            print(run(*compose, "logs", "--no-color", "--tail", "40", check=False).stdout, file=sys.stderr)
            raise
        finally:
            run(*compose, "down", "-v", "--remove-orphans", "--timeout", "5", check=False)
            step("compose stack, its network and volume removed")


def stub_calls(compose: list[str]) -> list[dict[str, Any]]:
    out = run(*compose, "logs", "--no-color", "--no-log-prefix", "slack").stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--redis-image", default=None, help="instead of the compose file's redis:7-alpine")
    parser.add_argument("--docker", default="docker")
    args = parser.parse_args()
    try:
        check_image(args.docker, args.image)
        check_compose(args.docker, args.image, args.redis_image)
    except Failed as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    step("every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
